//! The evaluation report (DESIGN.md §6): one model built from the evaluation's data, and the
//! renderers that draw it.

pub mod build;
pub mod compare;
pub mod docx;
pub mod grid;
pub mod html;
pub mod model;
pub mod pdf;
pub mod public;
