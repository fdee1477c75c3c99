//! The Terraform functions souverain evaluates in HCL source. A function not
//! listed here leaves its expression unknown (never guessed); `try` and `can`
//! are handled before evaluation because their arguments must not fail.

use super::hcl_limits::{self, Exceeded};
use hcl::Value;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};

/// Declares every supported function in `ctx`.
pub fn declare(ctx: &mut Context) {
    let any = || ParamType::Any;
    let variadic = |f| FuncDef::builder().variadic_param(ParamType::Any).build(f);
    ctx.declare_func("lower", FuncDef::new(lower, [ParamType::String]));
    ctx.declare_func("upper", FuncDef::new(upper, [ParamType::String]));
    ctx.declare_func("trimspace", FuncDef::new(trimspace, [ParamType::String]));
    ctx.declare_func("tostring", FuncDef::new(tostring, [any()]));
    ctx.declare_func("tonumber", FuncDef::new(tonumber, [any()]));
    ctx.declare_func("tobool", FuncDef::new(tobool, [any()]));
    ctx.declare_func("tolist", FuncDef::new(identity, [any()]));
    ctx.declare_func("toset", FuncDef::new(toset, [any()]));
    ctx.declare_func("tomap", FuncDef::new(identity, [any()]));
    ctx.declare_func("length", FuncDef::new(length, [any()]));
    ctx.declare_func("keys", FuncDef::new(keys, [any()]));
    ctx.declare_func("values", FuncDef::new(values, [any()]));
    ctx.declare_func("contains", FuncDef::new(contains, [any(), any()]));
    ctx.declare_func("element", FuncDef::new(element, [any(), ParamType::Number]));
    ctx.declare_func("join", FuncDef::new(join, [ParamType::String, any()]));
    ctx.declare_func(
        "split",
        FuncDef::new(split, [ParamType::String, ParamType::String]),
    );
    ctx.declare_func(
        "replace",
        FuncDef::new(
            replace,
            [ParamType::String, ParamType::String, ParamType::String],
        ),
    );
    ctx.declare_func(
        "substr",
        FuncDef::new(
            substr,
            [ParamType::String, ParamType::Number, ParamType::Number],
        ),
    );
    ctx.declare_func(
        "startswith",
        FuncDef::new(startswith, [ParamType::String, ParamType::String]),
    );
    ctx.declare_func(
        "endswith",
        FuncDef::new(endswith, [ParamType::String, ParamType::String]),
    );
    ctx.declare_func(
        "lookup",
        FuncDef::builder()
            .param(any())
            .param(any())
            .variadic_param(any())
            .build(lookup),
    );
    ctx.declare_func("merge", variadic(merge));
    ctx.declare_func("concat", variadic(concat));
    ctx.declare_func("coalesce", variadic(coalesce));
    ctx.declare_func("coalescelist", variadic(coalescelist));
    ctx.declare_func("compact", FuncDef::new(compact, [any()]));
    ctx.declare_func("distinct", FuncDef::new(distinct, [any()]));
    ctx.declare_func("flatten", FuncDef::new(flatten, [any()]));
    ctx.declare_func(
        "format",
        FuncDef::builder()
            .param(ParamType::String)
            .variadic_param(any())
            .build(format),
    );
}

fn string_of(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("cannot convert {other} to string")),
    }
}

fn text(args: &FuncArgs, i: usize) -> Result<String, String> {
    args.get(i)
        .ok_or("missing argument")
        .and_then(|v| string_of(v).map_err(|_| "not a string"))
        .map_err(str::to_string)
}

fn lower(args: FuncArgs) -> Result<Value, String> {
    Ok(text(&args, 0)?.to_lowercase().into())
}

fn upper(args: FuncArgs) -> Result<Value, String> {
    Ok(text(&args, 0)?.to_uppercase().into())
}

fn trimspace(args: FuncArgs) -> Result<Value, String> {
    Ok(text(&args, 0)?.trim().to_string().into())
}

fn tostring(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        other => Ok(string_of(other)?.into()),
    }
}

fn tonumber(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Number(_) | Value::Null => Ok(args[0].clone()),
        Value::String(s) => s
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| s.parse::<f64>().map(Value::from))
            .map_err(|_| format!("cannot convert {s:?} to number")),
        other => Err(format!("cannot convert {other} to number")),
    }
}

fn tobool(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Bool(_) | Value::Null => Ok(args[0].clone()),
        Value::String(s) if s == "true" => Ok(true.into()),
        Value::String(s) if s == "false" => Ok(false.into()),
        other => Err(format!("cannot convert {other} to bool")),
    }
}

fn identity(args: FuncArgs) -> Result<Value, String> {
    Ok(args[0].clone())
}

fn toset(args: FuncArgs) -> Result<Value, String> {
    distinct(args)
}

fn length(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Array(items) => Ok(items.len().into()),
        Value::Object(map) => Ok(map.len().into()),
        Value::String(s) => Ok(s.chars().count().into()),
        other => Err(format!("length of {other}")),
    }
}

fn keys(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Object(map) => Ok(Value::Array(
            map.keys().map(|k| Value::from(k.as_str())).collect(),
        )),
        other => Err(format!("keys of {other}")),
    }
}

fn values(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Object(map) => Ok(Value::Array(map.values().cloned().collect())),
        other => Err(format!("values of {other}")),
    }
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Array(items) => Ok(items.contains(&args[1]).into()),
        other => Err(format!("contains on {other}")),
    }
}

fn element(args: FuncArgs) -> Result<Value, String> {
    let Value::Array(items) = &args[0] else {
        return Err("element of a non-list".into());
    };
    let index = args[1].as_u64().ok_or("negative or fractional index")? as usize;
    if items.is_empty() {
        return Err("element of an empty list".into());
    }
    Ok(items[index % items.len()].clone())
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let separator = text(&args, 0)?;
    let Value::Array(items) = &args[1] else {
        return Err("join of a non-list".into());
    };
    let parts: Result<Vec<String>, String> = items.iter().map(string_of).collect();
    Ok(parts?.join(&separator).into())
}

fn split(args: FuncArgs) -> Result<Value, String> {
    let separator = text(&args, 0)?;
    let value = text(&args, 1)?;
    Ok(Value::Array(
        value.split(separator.as_str()).map(Value::from).collect(),
    ))
}

fn replace(args: FuncArgs) -> Result<Value, String> {
    let (value, search, with) = (text(&args, 0)?, text(&args, 1)?, text(&args, 2)?);
    if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
        // Regex replacement is not evaluated: leave the value unknown.
        return Err("regex replace is not evaluated".into());
    }
    // Replacing the empty string inserts `with` between every character.
    let count = if search.is_empty() {
        value.chars().count() + 1
    } else {
        value.matches(search.as_str()).count()
    };
    let max = hcl_limits::active().terraform_value_bytes;
    if count.saturating_mul(with.len()) > max {
        return Err(hcl_limits::exceeded(Exceeded {
            limit: "terraform-value-bytes",
            max,
            what: format!("replace() would make a string of more than {max} bytes"),
            span: None,
        }));
    }
    Ok(value.replace(&search, &with).into())
}

fn substr(args: FuncArgs) -> Result<Value, String> {
    let value: Vec<char> = text(&args, 0)?.chars().collect();
    let offset = args[1].as_i64().ok_or("bad offset")?;
    let length = args[2].as_i64().ok_or("bad length")?;
    let start = if offset < 0 {
        value.len() as i64 + offset
    } else {
        offset
    }
    .clamp(0, value.len() as i64) as usize;
    let end = if length < 0 {
        value.len()
    } else {
        (start + length as usize).min(value.len())
    };
    Ok(value[start..end].iter().collect::<String>().into())
}

fn startswith(args: FuncArgs) -> Result<Value, String> {
    Ok(text(&args, 0)?.starts_with(&text(&args, 1)?).into())
}

fn endswith(args: FuncArgs) -> Result<Value, String> {
    Ok(text(&args, 0)?.ends_with(&text(&args, 1)?).into())
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    let Value::Object(map) = &args[0] else {
        return Err("lookup in a non-map".into());
    };
    let key = string_of(&args[1])?;
    match (map.get(&key), args.get(2)) {
        (Some(value), _) => Ok(value.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(format!("no key {key:?}")),
    }
}

fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut merged = hcl::Map::new();
    for arg in args.iter() {
        match arg {
            Value::Object(map) => merged.extend(map.clone()),
            Value::Null => {}
            other => return Err(format!("merge of {other}")),
        }
    }
    Ok(Value::Object(merged))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for arg in args.iter() {
        match arg {
            Value::Array(items) => out.extend(items.iter().cloned()),
            other => return Err(format!("concat of {other}")),
        }
    }
    Ok(Value::Array(out))
}

fn coalesce(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| !matches!(v, Value::Null) && !matches!(v, Value::String(s) if s.is_empty()))
        .cloned()
        .ok_or_else(|| "no non-null argument".into())
}

fn coalescelist(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| matches!(v, Value::Array(items) if !items.is_empty()))
        .cloned()
        .ok_or_else(|| "no non-empty list".into())
}

fn compact(args: FuncArgs) -> Result<Value, String> {
    let Value::Array(items) = &args[0] else {
        return Err("compact of a non-list".into());
    };
    Ok(Value::Array(
        items
            .iter()
            .filter(|v| !matches!(v, Value::Null) && !matches!(v, Value::String(s) if s.is_empty()))
            .cloned()
            .collect(),
    ))
}

fn distinct(args: FuncArgs) -> Result<Value, String> {
    let Value::Array(items) = &args[0] else {
        return Err("distinct of a non-list".into());
    };
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    Ok(Value::Array(out))
}

fn flatten(args: FuncArgs) -> Result<Value, String> {
    fn walk(value: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            other => out.push(other.clone()),
        }
    }
    let mut out = Vec::new();
    walk(&args[0], &mut out);
    Ok(Value::Array(out))
}

/// `format` with the verbs configurations use for names and locations:
/// `%s`, `%d`, `%v` and `%%`.
fn format(args: FuncArgs) -> Result<Value, String> {
    let spec = text(&args, 0)?;
    let mut rest = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => {
                out.push_str(&string_of(rest.next().ok_or("too few arguments")?)?)
            }
            _ => return Err("unsupported format verb".into()),
        }
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl::eval::Evaluate;

    fn eval(expression: &str) -> Result<Value, String> {
        let mut ctx = Context::new();
        declare(&mut ctx);
        let parsed: hcl::Expression = hcl::edit::parser::parse_expr(expression)
            .map_err(|e| e.to_string())?
            .into();
        parsed.evaluate(&ctx).map_err(|e| e.to_string())
    }

    #[test]
    fn functions_used_for_locations_evaluate() {
        let cases = [
            (r#"lower("EU-WEST-3")"#, Value::from("eu-west-3")),
            (
                r#"lookup({fr = "eu-west-3"}, "fr")"#,
                Value::from("eu-west-3"),
            ),
            (r#"lookup({}, "fr", "eu-west-3")"#, Value::from("eu-west-3")),
            (r#"merge({a = 1}, {a = 2, b = 3})["a"]"#, Value::from(2)),
            (r#"coalesce("", null, "fr-par")"#, Value::from("fr-par")),
            (r#"format("%s-%d", "eu-west", 3)"#, Value::from("eu-west-3")),
            (r#"element(["a", "b"], 3)"#, Value::from("b")),
            (r#"length(concat(["a"], ["b", "c"]))"#, Value::from(3)),
            (
                r#"join("-", split(".", "eu.west.3"))"#,
                Value::from("eu-west-3"),
            ),
        ];
        for (expression, expected) in cases {
            assert_eq!(eval(expression), Ok(expected), "{expression}");
        }
    }

    #[test]
    fn unsupported_functions_and_bad_arguments_fail() {
        assert!(eval(r#"timestamp()"#).is_err());
        assert!(eval(r#"lookup({}, "missing")"#).is_err());
        assert!(eval(r#"format("%q", "x")"#).is_err());
    }
}
