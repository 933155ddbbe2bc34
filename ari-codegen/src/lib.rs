//! ARI code generator.
