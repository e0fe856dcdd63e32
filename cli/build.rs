//! Registers the hub's checked-in `schema.graphql` with cynic, so every query, mutation and
//! subscription of the CLI is checked against it at compile time.

fn main() {
    println!("cargo::rerun-if-changed=../schema.graphql");
    cynic_codegen::register_schema("greenroom")
        .from_sdl_file("../schema.graphql")
        .expect("schema.graphql is readable")
        .as_default()
        .expect("schema.graphql registers with cynic");
}
