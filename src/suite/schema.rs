//! The JSON Schema of suite files, generated from the stage-1 types.

use schemars::generate::SchemaSettings;

use super::raw::RawSuite;

/// The JSON Schema (draft 2020-12) that every suite file satisfies. The
/// loader checks more than the schema can say (defined variables, unique ids,
/// loopback addresses...), so a file can pass the schema and still fail to
/// load; never the other way round.
pub fn json_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<RawSuite>().to_value()
}
