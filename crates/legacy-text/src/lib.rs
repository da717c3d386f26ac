//! Legacy Vietnamese encodings (placeholder; being written).
