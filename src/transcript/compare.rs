//! Compares two captures by their normalized transcripts.

use std::path::Path;

use similar::TextDiff;

use super::transcript;
use crate::capture::{read_pcap, CaptureError};

/// Reads both captures and returns a unified diff of their normalized
/// transcripts, or `None` when they are the same.
pub fn compare(
    a: &Path,
    b: &Path,
    control_port: Option<u16>,
) -> Result<Option<String>, CaptureError> {
    let ta = transcript(&read_pcap(a, control_port)?);
    let tb = transcript(&read_pcap(b, control_port)?);
    if ta == tb {
        return Ok(None);
    }
    let (na, nb) = (a.display().to_string(), b.display().to_string());
    let diff = TextDiff::from_lines(&ta, &tb)
        .unified_diff()
        .context_radius(3)
        .header(&na, &nb)
        .to_string();
    Ok(Some(diff))
}
