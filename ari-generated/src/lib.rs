//! Typed ARI client.
