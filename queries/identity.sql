-- Real and synthetic face datasets compared by identity and in face-embedding space: do a
-- synthetic set's faces spread over the real faces' space (Fréchet distance; precision, recall,
-- density, coverage of the real manifold), does the generator reproduce real people (the copy
-- check), and how consistent and separable are its identities (identity_stats)?
--
-- Run (from the project root), after annotating the shared image sets with embeddings:
--   scripts/identity_tables.sh
--   macsql --data faces=target/faces -f queries/identity.sql --maxrows 0
-- `faces` is any annotation table with the columns dataset, kind ('real' / 'synthetic'), path,
-- identity and embedding (the dlib ResNet descriptor `macsql annotate` writes, L2-normalised).
-- Similarities are cosine similarities of the descriptors; FD is over the 128-d descriptors.

-- 1. What is there: images, faces with an embedding, identities.
SELECT dataset, kind, count(*) AS images, count(embedding) AS faces,
       count(DISTINCT identity) AS identities
FROM faces GROUP BY dataset, kind ORDER BY kind, dataset;

-- 2. Each synthetic set against each real set (P real, Q synthetic): FD with a 95% bootstrap
--    interval, PRDC with k = 5, and the share of synthetic faces whose nearest real face is
--    closer than a same-person threshold calibrated on held-out real people (see `note`).
WITH kinds AS (SELECT DISTINCT dataset, kind FROM faces)
SELECT c.dataset_p AS real, c.dataset_q AS synthetic, c.n_p, c.n_q,
       round(c.fd, 3) AS fd, round(c.fd_lo, 3) AS fd_lo, round(c.fd_hi, 3) AS fd_hi,
       round(c.precision, 3) AS precision, round(c.recall, 3) AS recall,
       round(c.density, 3) AS density, round(c.coverage, 3) AS coverage,
       round(c.copy_threshold, 3) AS copy_threshold, round(c.copy_share, 4) AS copy_share
FROM compare_embeddings('faces', 'dataset', 'k=5, bootstrap=200, seed=7, identity=identity') c
JOIN kinds p ON p.dataset = c.dataset_p AND p.kind = 'real'
JOIN kinds q ON q.dataset = c.dataset_q AND q.kind = 'synthetic'
ORDER BY synthetic, real;

-- 3. The same figures between the real sets: how far apart real datasets are from one another
--    is the yardstick for the numbers above.
WITH kinds AS (SELECT DISTINCT dataset, kind FROM faces)
SELECT c.dataset_p AS p, c.dataset_q AS q, c.n_p, c.n_q, round(c.fd, 3) AS fd,
       round(c.precision, 3) AS precision, round(c.recall, 3) AS recall,
       round(c.density, 3) AS density, round(c.coverage, 3) AS coverage
FROM compare_embeddings('faces', 'dataset', 'k=5, seed=7, identity=identity') c
JOIN kinds p ON p.dataset = c.dataset_p AND p.kind = 'real'
JOIN kinds q ON q.dataset = c.dataset_q AND q.kind = 'real'
ORDER BY p, q;

-- 4. Identities: how alike one identity's faces are and how distinct the identities are, for
--    the datasets that name identities (LFW: folders; CelebA: its identity file; IDiff-Face: one
--    identity per row of its figures).
SELECT dataset, identities, images, round(images_per_identity_mean, 2) AS per_identity,
       round(genuine_mean, 3) AS genuine, round(impostor_mean, 3) AS impostor,
       round(d_prime, 2) AS d_prime, round(eer, 4) AS eer, round(tar_at_far_1e3, 3) AS tar_1e3,
       round(uniqueness, 3) AS uniqueness, round(consistency, 3) AS consistency
FROM identity_stats('faces', 'dataset', 'identity')
WHERE identities > 1 ORDER BY dataset;

-- 5. The synthetic faces most similar to a real face: candidates for a copied person.
SELECT n.query_path AS synthetic_face, n.dataset AS real_dataset, n.path AS nearest_real_face,
       round(n.similarity, 3) AS cosine
FROM nearest_faces('SELECT dataset, path, embedding FROM faces WHERE kind = ''real''',
                   'SELECT path, embedding FROM faces WHERE kind = ''synthetic'' AND embedding IS NOT NULL', 1) n
ORDER BY n.similarity DESC LIMIT 10;

-- 6. Subgroups in embedding space with the aggregate: FD between women and men of each dataset
--    (embedding_stats keeps count, mean and covariance; frechet_distance needs more faces than
--    the 128 dimensions on each side, hence the HAVING).
WITH s AS (
  SELECT dataset, Male, embedding_stats(embedding) AS st FROM faces
  WHERE Male <> 0 AND embedding IS NOT NULL
  GROUP BY dataset, Male HAVING count(embedding) > 128
)
SELECT w.dataset, round(frechet_distance(w.st, m.st), 3) AS fd_women_men
FROM s w JOIN s m ON w.dataset = m.dataset AND w.Male = -1 AND m.Male = 1
ORDER BY w.dataset;
