//! `cargo xtask regenerate`: api-docs → committed bindings in `ari-generated`.

#[derive(clap::Args)]
pub struct RegenerateArgs {}

pub fn run(_args: RegenerateArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
