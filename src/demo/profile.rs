//! The four simulated datasets and the attribute rates the simulator draws from, with sources.
//!
//! Sources of the numbers (see also the README's "Demo catalog" section):
//! - Per-gender positive rates of the 34 attributes CelebA shares with MAAD-Face were computed from
//!   CelebA's `list_attr_celeba.txt` (202,599 images; 84,434 male, 118,165 female).
//! - Attributes CelebA does not label (Middle_Aged, Senior, Asian, White, Black, Shiny_Skin,
//!   Square_Face, Round_Face, Obstructed_Forehead, Fully_Visible_Forehead, Brown_Eyes,
//!   Mouth_Closed, No_Eyewear), the age / race mixes, the undefined rates and the synthetic sets'
//!   narrowing are assumptions chosen to look plausible; they are not published figures.
//! - Dataset sizes follow the seed study: BUPT-BalancedFace 1.3M images of 28K identities in four
//!   ethnic groups, BUPT-GlobalFace 2M images of 38K identities, a GAN set of 0.5M images and
//!   IDiff-Face (10K identities x 50 images).

use crate::annotations::Kind;

/// One simulated dataset.
#[derive(Debug, Clone)]
pub struct DatasetProfile {
    /// Dataset name stored in the `dataset` column.
    pub name: &'static str,
    /// Real or synthetic.
    pub kind: Kind,
    /// Prefix of identity names (`BBF_000001`).
    pub id_prefix: &'static str,
    /// Rows at scale 1.
    pub rows: u64,
    /// Identities at scale 1.
    pub identities: u64,
    /// Whether images per identity vary (real sets) or are constant (synthetic sets).
    pub varying_images: bool,
    /// Probability that an identity is male.
    pub p_male: f32,
    /// Race mix of identities: Asian, White, Black, Other.
    pub race: [f32; 4],
    /// Age-group mix of identities: Young, Middle_Aged, Senior.
    pub age: [f32; 3],
    /// Factor on every undefined (label 0) rate.
    pub undefined_scale: f32,
    /// Factors on the positive rate of single attributes (0 makes the value 1 missing).
    pub rate_factors: &'static [(&'static str, f32)],
}

impl DatasetProfile {
    /// The factor on the positive rate of `attribute` (1 when not narrowed).
    pub fn factor(&self, attribute: &str) -> f32 {
        self.rate_factors
            .iter()
            .find(|(a, _)| *a == attribute)
            .map_or(1.0, |(_, f)| *f)
    }
}

/// The four datasets of the seed study, in catalog order.
pub const DATASETS: [DatasetProfile; 4] = [
    DatasetProfile {
        name: "BUPT-BalancedFace",
        kind: Kind::Real,
        id_prefix: "BBF",
        rows: 1_300_000,
        identities: 28_000,
        varying_images: true,
        p_male: 0.65,
        // Four ethnic groups of 7K identities each (African, Asian, Caucasian, Indian).
        race: [0.25, 0.25, 0.25, 0.25],
        age: [0.40, 0.48, 0.12],
        undefined_scale: 1.0,
        rate_factors: &[],
    },
    DatasetProfile {
        name: "BUPT-GlobalFace",
        kind: Kind::Real,
        id_prefix: "BGF",
        rows: 2_000_000,
        identities: 38_000,
        varying_images: true,
        p_male: 0.62,
        // Roughly the world population's mix (assumed).
        race: [0.36, 0.32, 0.14, 0.18],
        age: [0.42, 0.46, 0.12],
        undefined_scale: 1.0,
        rate_factors: &[],
    },
    DatasetProfile {
        name: "GAN-Faces",
        kind: Kind::Synthetic,
        id_prefix: "GAN",
        rows: 500_000,
        identities: 10_000,
        varying_images: false,
        p_male: 0.50,
        race: [0.20, 0.65, 0.07, 0.08],
        age: [0.62, 0.36, 0.02],
        undefined_scale: 0.4,
        rate_factors: &[
            ("Gray_Hair", 0.15),
            ("Bald", 0.1),
            ("Receding_Hairline", 0.4),
            ("Eyeglasses", 0.1),
            ("Wearing_Hat", 0.05),
            ("Wearing_Necktie", 0.2),
            ("Double_Chin", 0.3),
            ("Chubby", 0.3),
            ("Mustache", 0.3),
            ("Goatee", 0.3),
            ("Bags_Under_Eyes", 0.5),
        ],
    },
    DatasetProfile {
        name: "IDiff-Face",
        kind: Kind::Synthetic,
        id_prefix: "IDF",
        rows: 500_000,
        identities: 10_000,
        varying_images: false,
        p_male: 0.55,
        race: [0.18, 0.70, 0.06, 0.06],
        age: [0.66, 0.335, 0.005],
        undefined_scale: 0.3,
        rate_factors: &[
            ("Gray_Hair", 0.05),
            ("Bald", 0.05),
            ("Receding_Hairline", 0.3),
            // Never positive: the value is missing from this set (KL(real||IDiff) is infinite
            // for these attributes unless smoothed).
            ("Eyeglasses", 0.0),
            ("Wearing_Hat", 0.0),
            ("Wearing_Necktie", 0.1),
            ("Double_Chin", 0.2),
            ("Chubby", 0.2),
            ("Mustache", 0.2),
            ("Goatee", 0.2),
            ("Sideburns", 0.3),
            ("Bags_Under_Eyes", 0.4),
            ("Wearing_Earrings", 0.5),
        ],
    },
];

/// Per-gender positive rate (male, female) computed from CelebA, and how strongly an identity
/// keeps its value across images (0: drawn afresh per image, 1: fixed per identity).
pub struct GenericRate {
    /// MAAD-Face attribute name.
    pub name: &'static str,
    /// Positive rate among men.
    pub male: f32,
    /// Positive rate among women.
    pub female: f32,
    /// Identity persistence in [0, 1].
    pub persistence: f32,
    /// Multipliers by age group (Young, Middle_Aged, Senior).
    pub age: [f32; 3],
}

const FLAT: [f32; 3] = [1.0, 1.0, 1.0];

/// Attributes drawn independently given gender, age and identity (CelebA rates unless noted).
pub const GENERIC: [GenericRate; 20] = [
    GenericRate {
        name: "Rosy_Cheeks",
        male: 0.0030,
        female: 0.1105,
        persistence: 0.4,
        age: [1.2, 0.9, 0.5],
    },
    // Not in CelebA: assumed.
    GenericRate {
        name: "Shiny_Skin",
        male: 0.15,
        female: 0.12,
        persistence: 0.3,
        age: FLAT,
    },
    GenericRate {
        name: "Bald",
        male: 0.0537,
        female: 0.0001,
        persistence: 0.9,
        age: [0.3, 1.2, 3.0],
    },
    GenericRate {
        name: "Wavy_Hair",
        male: 0.1408,
        female: 0.4473,
        persistence: 0.6,
        age: FLAT,
    },
    GenericRate {
        name: "Receding_Hairline",
        male: 0.1174,
        female: 0.0529,
        persistence: 0.8,
        age: [0.5, 1.3, 2.5],
    },
    GenericRate {
        name: "Bangs",
        male: 0.0823,
        female: 0.2011,
        persistence: 0.6,
        age: FLAT,
    },
    GenericRate {
        name: "Double_Chin",
        male: 0.0985,
        female: 0.0097,
        persistence: 0.8,
        age: [0.5, 1.3, 2.5],
    },
    GenericRate {
        name: "Chubby",
        male: 0.1211,
        female: 0.0122,
        persistence: 0.8,
        age: [0.6, 1.3, 1.6],
    },
    GenericRate {
        name: "Bags_Under_Eyes",
        male: 0.3482,
        female: 0.1019,
        persistence: 0.5,
        age: [0.6, 1.3, 2.0],
    },
    GenericRate {
        name: "Bushy_Eyebrows",
        male: 0.2442,
        female: 0.0692,
        persistence: 0.8,
        age: FLAT,
    },
    GenericRate {
        name: "Arched_Eyebrows",
        male: 0.0535,
        female: 0.4196,
        persistence: 0.7,
        age: FLAT,
    },
    GenericRate {
        name: "Big_Lips",
        male: 0.1561,
        female: 0.3013,
        persistence: 0.8,
        age: FLAT,
    },
    GenericRate {
        name: "Big_Nose",
        male: 0.4196,
        female: 0.1023,
        persistence: 0.8,
        age: FLAT,
    },
    GenericRate {
        name: "Pointy_Nose",
        male: 0.1624,
        female: 0.3596,
        persistence: 0.8,
        age: FLAT,
    },
    GenericRate {
        name: "Heavy_Makeup",
        male: 0.0028,
        female: 0.6614,
        persistence: 0.6,
        age: [1.1, 1.0, 0.6],
    },
    GenericRate {
        name: "Wearing_Hat",
        male: 0.0814,
        female: 0.0249,
        persistence: 0.3,
        age: FLAT,
    },
    GenericRate {
        name: "Wearing_Earrings",
        male: 0.0160,
        female: 0.3125,
        persistence: 0.6,
        age: FLAT,
    },
    GenericRate {
        name: "Wearing_Necktie",
        male: 0.1741,
        female: 0.0003,
        persistence: 0.4,
        age: [0.7, 1.2, 1.2],
    },
    GenericRate {
        name: "Attractive",
        male: 0.2793,
        female: 0.6792,
        persistence: 0.8,
        age: [1.3, 0.8, 0.3],
    },
    GenericRate {
        name: "Eyeglasses",
        male: 0.1241,
        female: 0.0230,
        persistence: 0.7,
        age: [0.7, 1.2, 2.0],
    },
];

/// Smiling rate (CelebA: men 0.4003, women 0.5405); persistence 0.3.
pub const SMILING: (f32, f32) = (0.4003, 0.5405);

/// Undefined (label 0) rate of each attribute in the real sets (assumed; MAAD-Face leaves labels
/// undefined where its classifiers disagree, more often for subjective attributes).
pub fn undefined_rate(attribute: &str) -> f32 {
    match attribute {
        "Male" | "No_Eyewear" | "Eyeglasses" => 0.02,
        "Smiling"
        | "Mouth_Closed"
        | "Wearing_Hat"
        | "Wearing_Necktie"
        | "Wearing_Earrings"
        | "Bald"
        | "Obstructed_Forehead"
        | "Fully_Visible_Forehead" => 0.05,
        "Bangs" | "No_Beard" | "Mustache" | "Goatee" | "Sideburns" | "Race" => 0.06,
        "Asian" | "White" | "Black" => 0.07,
        "Young" | "Middle_Aged" | "Senior" | "Wearing_Lipstick" => 0.08,
        "Black_Hair" | "Blond_Hair" | "Brown_Hair" | "Gray_Hair" | "Wavy_Hair" | "Arched_Eyebrows"
        | "Bushy_Eyebrows" | "Rosy_Cheeks" => 0.12,
        "Attractive" | "Oval_Face" | "Square_Face" | "Round_Face" | "Brown_Eyes" => 0.2,
        "Big_Lips" | "Big_Nose" | "Pointy_Nose" | "High_Cheekbones" | "Shiny_Skin" | "Bags_Under_Eyes"
        | "5_o_Clock_Shadow" => 0.15,
        _ => 0.10,
    }
}
