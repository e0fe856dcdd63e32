//! Build script: tells utoipa's derive macros (OpenAPI schemas of the REST types) that the
//! model's `Timestamp` alias is `chrono::DateTime<Utc>`, an RFC 3339 date-time string.

fn main() {
    utoipa_config::Config::new()
        .alias_for("Timestamp", "chrono::DateTime<chrono::Utc>")
        .write_to_file();
}
