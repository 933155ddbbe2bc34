//! The generator's pipeline for the committed api-docs (Asterisk 22.10.1),
//! stage by stage: load (read + parse the folder) → normalize (IR) →
//! emit (tokens → syn → prettyplease) and the whole `generate`.
//! `format` re-parses the emitted text and pretty-prints it again, which is
//! what the syn + prettyplease part of emit costs.
//!
//! `cargo bench -p ari-codegen --bench codegen`

use ari_codegen::ApiDocs;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

const API_DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../api-docs");

fn codegen(c: &mut Criterion) {
    let dir = Path::new(API_DOCS);
    let docs = ApiDocs::from_dir(dir).expect("load the committed api-docs");
    let api = ari_codegen::normalize::normalize(&docs).expect("normalize");
    let files = ari_codegen::emit::emit(&api).expect("emit");
    let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    eprintln!("{} files, {bytes} bytes generated", files.len());

    let mut group = c.benchmark_group("codegen_22.10.1");
    group.sample_size(20);
    group.bench_function("load", |b| {
        b.iter(|| black_box(ApiDocs::from_dir(black_box(dir)).expect("load")))
    });
    group.bench_function("normalize", |b| {
        b.iter(|| black_box(ari_codegen::normalize::normalize(black_box(&docs)).expect("ir")))
    });
    group.bench_function("emit_and_format", |b| {
        b.iter(|| black_box(ari_codegen::emit::emit(black_box(&api)).expect("emit")))
    });
    group.bench_function("format_only", |b| {
        b.iter(|| {
            for file in &files {
                let parsed = syn::parse_file(black_box(&file.contents)).expect("parse");
                black_box(prettyplease::unparse(&parsed));
            }
        })
    });
    group.bench_function("generate", |b| {
        b.iter(|| black_box(ari_codegen::generate(black_box(&docs)).expect("generate")))
    });
    group.bench_function("load_and_generate", |b| {
        b.iter(|| {
            let docs = ApiDocs::from_dir(black_box(dir)).expect("load");
            black_box(ari_codegen::generate(&docs).expect("generate"))
        })
    });
    group.finish();
}

criterion_group!(benches, codegen);
criterion_main!(benches);
