//! Suite loading. TODO(suite helper).
