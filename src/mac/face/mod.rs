//! The face: finding it, aligning it, cutting each model's chip and measuring its regions.
//!
//! - [`detect`]: face detection (letterboxing, priors, decoding, NMS);
//! - [`align`]: the similarity transform onto a model's landmark template;
//! - [`chip`]: the face chip sampled through that transform;
//! - [`regions`]: colour and texture statistics of landmark-defined face regions.

pub mod align;
pub mod chip;
pub mod detect;
pub mod regions;
