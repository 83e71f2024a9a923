//! Map files (SPEC v0.2): `key<TAB>value` per line, read by the compiler and again by a
//! running engine that reloads its maps, so both read them the same way.

use crate::{Program, Ty, Value};

/// Where the names in a map file are resolved: enum values and units.
pub trait Names {
    /// The position of `variant` in enum `enum_name`.
    fn variant_index(&self, enum_name: &str, variant: &str) -> Option<u32>;
    /// The number of the unit declared as `name`.
    fn unit_index(&self, name: &str) -> Option<u32>;
}

impl Names for Program {
    fn variant_index(&self, enum_name: &str, variant: &str) -> Option<u32> {
        let e = self.enums.iter().find(|e| e.name == enum_name)?;
        u32::try_from(e.variants.iter().position(|v| v == variant)?).ok()
    }

    fn unit_index(&self, name: &str) -> Option<u32> {
        u32::try_from(self.units.iter().position(|u| u.name == name)?).ok()
    }
}

/// The entries of a map file: blank lines and lines whose first non-blank character is `#`
/// skipped (a `#` elsewhere is data, as in `3#楼`). `Err` names the one-based line of the first
/// entry that is not of the map's types, or of a key given twice.
pub fn parse_file(
    names: &impl Names,
    text: &str,
    key: &Ty,
    value: &Ty,
) -> Result<Vec<(Value, Value)>, (usize, String)> {
    let mut entries = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('\t') else {
            return Err((n, "expected a key, a tab, and a value".into()));
        };
        let (k, v) = (k.trim(), v.trim());
        if let Some(first) = seen.insert(k.to_string(), n) {
            return Err((n, format!("key `{k}` given twice (first on line {first})")));
        }
        let parsed_key = parse_value(names, k, key)
            .ok_or_else(|| (n, format!("`{k}` is not {}", key.described())))?;
        let parsed_value = parse_value(names, v, value)
            .ok_or_else(|| (n, format!("`{v}` is not {}", value.described())))?;
        entries.push((parsed_key, parsed_value));
    }
    Ok(entries)
}

/// One value of a map file, written as in an input event: enum values and units by name,
/// times in RFC 3339, durations as literals (`15m`).
pub fn parse_value(names: &impl Names, text: &str, ty: &Ty) -> Option<Value> {
    Some(match ty {
        Ty::Str => Value::str(text),
        Ty::Int => Value::Int(text.parse().ok()?),
        Ty::Float => Value::Float(text.parse::<f64>().ok().filter(|f| f.is_finite())?),
        Ty::Bool => Value::Bool(text.parse().ok()?),
        Ty::Time => Value::Time(crate::time::parse_time(text).ok()?),
        Ty::Duration => Value::Duration(crate::time::parse_duration_literal(text).ok()?),
        Ty::Enum(e) => Value::Enum(names.variant_index(e, text)?),
        Ty::Unit => Value::Unit(names.unit_index(text)?),
        _ => return None,
    })
}
