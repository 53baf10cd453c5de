//! The JSON Schema of suite files, generated from the stage-1 types.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use super::raw::RawSuite;

/// The JSON Schema (draft 2020-12) that every suite file satisfies. The
/// loader checks more than the schema can say (defined variables, unique ids,
/// loopback addresses...), so a file can pass the schema and still fail to
/// load; the reverse happens only for numbers written where text is
/// expected (`send: 5`), which the YAML reader turns into text.
pub fn json_schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<RawSuite>().to_value();
    strip_raw_prefix(&mut schema);
    schema
}

/// `RawCase` -> `Case` in definition names and references: editors show
/// these names, and the `Raw` prefix is an implementation detail.
fn strip_raw_prefix(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(defs)) = map.get_mut("$defs") {
                let renamed: Map<String, Value> = std::mem::take(defs)
                    .into_iter()
                    .map(|(k, v)| (unraw(&k).to_string(), v))
                    .collect();
                *defs = renamed;
            }
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    *r = format!("#/$defs/{}", unraw(name));
                }
            }
            map.values_mut().for_each(strip_raw_prefix);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_raw_prefix),
        _ => {}
    }
}

fn unraw(name: &str) -> &str {
    name.strip_prefix("Raw").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_have_no_raw_prefix_and_refs_resolve() {
        let schema = json_schema();
        let defs = schema["$defs"].as_object().unwrap();
        assert!(defs.contains_key("Case") && defs.contains_key("StepMap"));
        assert!(!defs.keys().any(|k| k.starts_with("Raw")));
        let text = schema.to_string();
        for part in text.split("\"#/$defs/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(defs.contains_key(name), "dangling $ref {name}");
        }
    }
}
