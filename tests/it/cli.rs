//! The command line as scripts use it: -c / -f order, formats, export, errors, stdin.

use predicates::prelude::*;

use crate::common::{macsql, shared_data, write};

#[test]
fn counts_styleflow_rows_as_plain_csv() {
    let csv = shared_data("annotations/styleflow_stylegan2_faceapi.csv");
    macsql()
        .arg("--data")
        .arg(&csv)
        .args([
            "-c",
            "SELECT count(*) AS n FROM styleflow_stylegan2_faceapi",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .stdout("n\n1000\n");
}

#[test]
fn mixed_case_columns_need_no_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "faces.csv",
        "Male,Wearing_Hat,5_o_Clock_Shadow\n1,-1,0\n-1,1,1\n1,1,-1\n",
    );
    macsql()
        .arg("--data")
        .arg(format!("real={}", f.display()))
        .args([
            "-q",
            "--format",
            "csv",
            "-c",
            "SELECT sum(Male) AS m, count(*) FILTER (WHERE Wearing_Hat = 1) AS hats, max(\"5_o_Clock_Shadow\") AS s FROM real",
        ])
        .assert()
        .success()
        .stdout("m,hats,s\n1,2,1\n");
}

#[test]
fn commands_and_files_run_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "two.sql",
        "-- a saved query\nSELECT 2 AS x;\nSELECT 3 AS x;\n",
    );
    macsql()
        .args(["-q", "--format", "csv", "-c", "SELECT 1 AS x", "-f"])
        .arg(&f)
        .args(["-c", "SELECT 4 AS x"])
        .assert()
        .success()
        .stdout("x\n1\nx\n2\nx\n3\nx\n4\n");
}

#[test]
fn a_failing_statement_exits_non_zero_with_the_error_on_stderr() {
    macsql()
        .args(["-q", "-c", "SELECT nope FROM nowhere"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nowhere"));
}

#[test]
fn missing_data_file_is_named() {
    macsql()
        .args(["--data", "no/such/file.parquet", "-c", "SELECT 1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no/such/file.parquet"));
}

#[test]
fn unsupported_file_type_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "sheet.xlsx", "x");
    macsql()
        .arg("--data")
        .arg(&f)
        .args(["-c", "SELECT 1"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("sheet.xlsx").and(predicate::str::contains("unsupported file type")),
        );
}

#[test]
fn sql_from_stdin_runs_when_no_command_is_given() {
    macsql()
        .args(["-q", "--format", "csv"])
        .write_stdin("SELECT 40 + 2 AS answer;\n")
        .assert()
        .success()
        .stdout("answer\n42\n");
}

#[test]
fn output_file_gets_the_last_result_in_the_format_of_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["csv", "tsv", "parquet", "json", "ndjson", "arrow"] {
        let out = dir.path().join(format!("r.{ext}"));
        macsql()
            .args([
                "-q",
                "-c",
                "SELECT 1 AS a",
                "-c",
                "SELECT * FROM (VALUES (1, 'x'), (2, 'y')) AS t(k, v)",
                "-o",
            ])
            .arg(&out)
            .assert()
            .success();
        // Read it back through macsql itself.
        macsql()
            .arg("--data")
            .arg(format!("back={}", out.display()))
            .args([
                "-q",
                "--format",
                "csv",
                "-c",
                "SELECT count(*) AS n, sum(k) AS s FROM back",
            ])
            .assert()
            .success()
            .stdout("n,s\n2,3\n");
    }
}

#[test]
fn formats_print_as_documented() {
    let sql = "SELECT * FROM (VALUES (1, 'a,b'), (2, NULL)) AS t(k, v) ORDER BY k";
    macsql()
        .args(["-q", "--format", "tsv", "-c", sql])
        .assert()
        .success()
        .stdout("k\tv\n1\ta,b\n2\t\n");
    macsql()
        .args(["-q", "--format", "ndjson", "-c", sql])
        .assert()
        .success()
        .stdout("{\"k\":1,\"v\":\"a,b\"}\n{\"k\":2}\n");
    macsql()
        .args(["-q", "--format", "json", "-c", sql])
        .assert()
        .success()
        .stdout("[{\"k\":1,\"v\":\"a,b\"},{\"k\":2}]\n");
    macsql()
        .args(["-q", "--format", "markdown", "-c", sql])
        .assert()
        .success()
        .stdout("| k | v |\n| ---: | --- |\n| 1 | a,b |\n| 2 | NULL |\n");
}

#[test]
fn table_output_says_how_many_rows_are_hidden() {
    macsql()
        .args([
            "-q",
            "--maxrows",
            "3",
            "-c",
            "SELECT * FROM generate_series(1, 10) AS t(v)",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("10 rows (3 shown, 7 hidden"));
}

#[test]
fn folders_of_hive_partitioned_parquet_are_one_table() {
    let dir = tempfile::tempdir().unwrap();
    for (ds, rows) in [("ffhq", "(1), (1), (-1)"), ("sfhq", "(-1), (0)")] {
        let part = dir.path().join("cat").join(format!("dataset={ds}"));
        std::fs::create_dir_all(&part).unwrap();
        macsql()
            .args([
                "-q",
                "-c",
                &format!("SELECT column1 AS Male FROM (VALUES {rows})"),
                "-o",
            ])
            .arg(part.join("part-0.parquet"))
            .assert()
            .success();
    }
    macsql()
        .arg("--data")
        .arg(dir.path().join("cat"))
        .args([
            "-q",
            "--format",
            "csv",
            "-c",
            "SELECT dataset, count(*) AS n, sum(Male) AS m FROM cat GROUP BY dataset ORDER BY dataset",
        ])
        .assert()
        .success()
        .stdout("dataset,n,m\nffhq,3,1\nsfhq,2,-1\n");
}

#[test]
fn malformed_csv_error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "bad.csv", "a,b\n1,2\n3,4,5\n");
    macsql()
        .arg("--data")
        .arg(&f)
        .args(["-q", "-c", "SELECT * FROM bad"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.csv").and(predicate::str::contains(
            "Expected 2 records, found 3 records at line 3",
        )));
}

#[test]
fn ndjson_and_named_tables_register() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "rows.jsonl",
        "{\"Male\": 1}\n{\"Male\": -1}\n{\"Male\": 1}\n",
    );
    macsql()
        .arg("--data")
        .arg(format!("j={}", f.display()))
        .args(["-q", "--format", "csv", "-c", "SELECT sum(Male) AS s FROM j"])
        .assert()
        .success()
        .stdout("s\n1\n");
}

#[test]
fn errors_are_reported_once_without_datafusion_boilerplate() {
    let out = macsql()
        .args(["-q", "-c", "SELECT sum('x') FROM 'missing_file.csv'"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("not found").count(), 1, "{stderr}");
    let out = macsql()
        .args(["-q", "-c", "SELECT sum(a) FROM (VALUES ('x')) t(a)"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("sum(Utf8)") && !stderr.contains("likely caused by a bug"),
        "{stderr}"
    );
}

#[test]
fn ddl_prints_nothing() {
    macsql()
        .args([
            "-q",
            "--format",
            "csv",
            "-c",
            "CREATE VIEW v AS SELECT 1 AS x; SELECT x FROM v",
        ])
        .assert()
        .success()
        .stdout("x\n1\n");
}

/// `macsql ... | head -1`: the reader goes away after a line. Regression: with `-f` the
/// closed pipe was wrapped into a plain message, no longer recognised, and the run exited 1 with
/// "Broken pipe"; `-c` and SQL on stdin must exit 0 too.
#[test]
fn a_closed_pipe_ends_the_run_quietly_with_f_c_and_stdin() {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let sql = "SELECT x, x * 2 AS y FROM generate_series(1, 3000000) t(x);";
    let file = write(&dir, "long.sql", sql);
    let cases: [(&str, Vec<String>, Option<&str>); 3] = [
        ("-f", vec!["-f".into(), file.display().to_string()], None),
        ("-c", vec!["-c".into(), sql.into()], None),
        ("stdin", vec![], Some(sql)),
    ];
    for (name, args, stdin) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_macsql"))
            .args(["-q", "--format", "csv"])
            .args(&args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            let mut input = child.stdin.take().unwrap();
            input.write_all(text.as_bytes()).unwrap();
        }
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert_eq!(first, "x,y\n", "{name}");
        // The reader is dropped here: the pipe is closed with most of the result unwritten.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {:?} {stderr}", out.status);
        assert!(stderr.is_empty(), "{name}: {stderr}");
    }
}

/// Regression: `: > empty.csv; macsql --data empty.csv -c "select * from empty"` printed
/// nothing and exited 0. Every format now names the empty file; a CSV with only a header is a
/// table with columns and no rows.
#[test]
fn an_empty_data_file_is_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "empty.csv",
        "empty.tsv",
        "empty.parquet",
        "empty.json",
        "empty.arrow",
    ] {
        let path = write(&dir, name, "");
        macsql()
            .arg("--data")
            .arg(&path)
            .args(["-c", "SELECT * FROM empty"])
            .assert()
            .failure()
            .stderr(predicate::str::contains(name).and(predicate::str::contains("the file is empty")));
    }
    let header = write(&dir, "header.csv", "path,Male\n");
    macsql()
        .arg("--data")
        .arg(&header)
        .args(["-q", "--format", "csv", "-c", "SELECT count(*) AS n FROM header"])
        .assert()
        .success()
        .stdout("n\n0\n");
}

/// A folder with a broken part names that part (DataFusion's error alone names no file).
#[test]
fn a_broken_part_of_a_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("cat");
    std::fs::create_dir_all(&folder).unwrap();
    macsql()
        .args(["-q", "-c", "SELECT 1 AS Male", "-o"])
        .arg(folder.join("a.parquet"))
        .assert()
        .success();
    std::fs::write(folder.join("b.parquet"), b"PAR1 not really").unwrap();
    macsql()
        .arg("--data")
        .arg(&folder)
        .args(["-c", "SELECT count(*) FROM cat"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("cannot read the folder").and(predicate::str::contains("b.parquet")),
        );
}

/// A `--data` path that is not UTF-8 (DataFusion reads tables by URL) is named and refused as
/// a registration error (exit 1), not clap's unnamed "invalid UTF-8 in one or more arguments".
#[test]
fn a_data_path_that_is_not_utf8_is_named() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.csv");
    let path = dir.path().join(name);
    std::fs::write(&path, "path,Male\na.jpg,1\n").unwrap();
    macsql()
        .arg("--data")
        .arg(&path)
        .args(["-c", "SELECT 1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("caf").and(predicate::str::contains("path is not valid UTF-8")));
}

/// Every message of an error's chain is printed once: library errors carry what they wrap in
/// their own message and never also as its source, and main adds only its own context.
#[test]
fn each_message_of_an_error_chain_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let cut = write(&dir, "cut.parquet", "PAR1 cut short");
    let out = macsql()
        .arg("--data")
        .arg(&cut)
        .args(["-c", "SELECT 1"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(stderr.matches("cut.parquet").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("Parquet error").count(), 1, "{stderr}");
    let out = macsql()
        .args(["-q", "-c", "SELECT 1 AS a", "--plot"])
        .arg(dir.path().join("p.svg"))
        .args(["--plot-kind", "pie"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        stderr.trim_end(),
        "Error: --plot-kind: unknown chart kind 'pie' (expected bars, heatmap or asymmetry)"
    );
}

/// The build keeps every codec users' files come with (DataFusion's CSV / JSON compression and
/// crypto functions are left out of the build, not these): Parquet written with each codec
/// pyarrow and pandas offer, and Arrow IPC / feather files compressed with lz4 (feather's
/// default) or zstd, all register and read.
#[test]
fn parquet_and_feather_files_of_every_codec_read() {
    use std::sync::Arc;

    use arrow::array::{Int8Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::ipc::CompressionType;
    use arrow::ipc::writer::{FileWriter, IpcWriteOptions};
    use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
    use parquet::file::properties::WriterProperties;

    let dir = tempfile::tempdir().unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("Male", DataType::Int8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["a.jpg", "b.jpg", "c.jpg"])),
            Arc::new(Int8Array::from(vec![1, -1, 1])),
        ],
    )
    .unwrap();
    let mut files = Vec::new();
    for (name, codec) in [
        ("none", Compression::UNCOMPRESSED),
        ("snappy", Compression::SNAPPY),
        ("gzip", Compression::GZIP(GzipLevel::default())),
        ("brotli", Compression::BROTLI(BrotliLevel::default())),
        ("lz4", Compression::LZ4_RAW),
        ("zstd", Compression::ZSTD(ZstdLevel::default())),
    ] {
        let path = dir.path().join(format!("{name}.parquet"));
        let props = WriterProperties::builder().set_compression(codec).build();
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema.clone(),
            Some(props),
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        files.push(path);
    }
    for (name, codec) in [
        ("lz4", CompressionType::LZ4_FRAME),
        ("zstd", CompressionType::ZSTD),
    ] {
        let path = dir.path().join(format!("{name}.feather"));
        let options = IpcWriteOptions::default()
            .try_with_compression(Some(codec))
            .unwrap();
        let mut w = FileWriter::try_new_with_options(std::fs::File::create(&path).unwrap(), &schema, options)
            .unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        files.push(path);
    }
    for path in files {
        macsql()
            .arg("--data")
            .arg(format!("t={}", path.display()))
            .args([
                "-q",
                "--format",
                "csv",
                "-c",
                "SELECT count(*) AS n, sum(Male) AS s FROM t",
            ])
            .assert()
            .success()
            .stdout("n,s\n3,1\n");
    }
}

/// Regression test of fuzz finding `label_scan` / `crash-97f60b4c`: a file ending in `PAR1` whose
/// footer declares more metadata than the file holds made parquet's metadata decoder overflow (a
/// panic where overflow checks are on). It is refused with the file named, alone or in a folder.
#[test]
fn fuzz_label_scan_crash_97f60b4c_a_footer_longer_than_its_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"PAR1".to_vec();
    bytes.extend([0x1c; 100]);
    bytes.extend(5000u32.to_le_bytes());
    bytes.extend(b"PAR1");
    let file = dir.path().join("cut.parquet");
    std::fs::write(&file, &bytes).unwrap();
    macsql()
        .arg("--data")
        .arg(&file)
        .args(["-c", "SELECT count(*) FROM cut"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("cut.parquet").and(predicate::str::contains(
                "declares 5000 bytes of metadata, but the file has only 112",
            )),
        );
    let folder = dir.path().join("cat");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("part-0.parquet"), &bytes).unwrap();
    macsql()
        .arg("--data")
        .arg(&folder)
        .args(["-c", "SELECT count(*) FROM cat"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("part-0.parquet").and(predicate::str::contains("cut short")));
}
