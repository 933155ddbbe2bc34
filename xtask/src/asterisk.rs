//! `cargo xtask asterisk up|down|status|logs|cli`: a real Asterisk in a Debian chroot.

#[derive(clap::Args)]
pub struct AsteriskArgs {}

pub fn run(_args: AsteriskArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
