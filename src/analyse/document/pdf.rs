//! PDF: `# Page N`, then one line per text line in reading order.

use super::{Deadline, Limits, Stop};

pub(super) fn read(_bytes: &[u8], _limits: &Limits, _deadline: Deadline) -> Result<String, Stop> {
    Err(Stop::Unavailable("not yet: PDF reading".into()))
}
