//! The functions a jobspec may call: the HCL2 standard library Nomad offers, minus what needs a
//! file system or secrets.
//!
//! `try`, `can` and `convert` look at their arguments before evaluation and live in the
//! evaluator. `uuidv4` draws from a seeded generator the caller provides (drover's core takes
//! randomness as an input); without a seed it fails. File-system functions fail as they do in
//! Nomad's parse endpoint, and `bcrypt`, `rsadecrypt`, `yamlencode` and `yamldecode` are not
//! offered.

mod cidr;
mod collection;
mod datetime;
mod digest;
mod encoding;
mod format;
mod numeric;
mod string;

use crate::value::{self, Map, Value};
use std::cell::Cell;

/// State shared by the function calls of one parse.
#[derive(Debug)]
pub(crate) struct FuncEnv {
    /// The splitmix64 state behind `uuidv4`, if the caller gave a seed.
    random: Cell<Option<u64>>,
}

impl FuncEnv {
    pub fn new(seed: Option<u64>) -> FuncEnv {
        FuncEnv {
            random: Cell::new(seed),
        }
    }

    fn next_random(&self) -> Option<u64> {
        let state = self.random.get()?.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.random.set(Some(state));
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Some(z ^ (z >> 31))
    }
}

type Result<T> = std::result::Result<T, String>;

/// Calls a function by name; `None` if there is no such function.
pub(crate) fn call(name: &str, args: Vec<Value>, env: &FuncEnv) -> Option<Result<Value>> {
    let result = match name {
        "abs" | "ceil" | "floor" | "log" | "max" | "min" | "parseint" | "pow" | "signum" => {
            numeric::call(name, args)
        }
        "chomp" | "format" | "formatlist" | "indent" | "join" | "lower" | "upper" | "replace"
        | "regex_replace" | "split" | "strlen" | "strrev" | "substr" | "title" | "trim"
        | "trimprefix" | "trimsuffix" | "trimspace" => string::call(name, args),
        "chunklist" | "coalesce" | "coalescelist" | "compact" | "concat" | "contains"
        | "distinct" | "element" | "flatten" | "index" | "keys" | "length" | "lookup" | "merge"
        | "range" | "reverse" | "setintersection" | "setproduct" | "setunion" | "slice"
        | "sort" | "values" | "zipmap" => collection::call(name, args),
        "base64decode" | "base64encode" | "csvdecode" | "jsondecode" | "jsonencode"
        | "urlencode" => encoding::call(name, args),
        "md5" | "sha1" | "sha256" | "sha512" | "uuidv5" => digest::call(name, args),
        "uuidv4" => fixed::<0>(args).and_then(|[]| digest::uuid_v4(env)),
        "cidrhost" | "cidrnetmask" | "cidrsubnet" | "cidrsubnets" => cidr::call(name, args),
        "formatdate" | "timeadd" => datetime::call(name, args),
        "abspath" | "basename" | "dirname" | "file" | "filebase64" | "fileexists" | "fileset"
        | "pathexpand" => Err("filesystem function disabled".to_owned()),
        "bcrypt" | "rsadecrypt" | "yamldecode" | "yamlencode" => {
            Err("this function is not available in drover".to_owned())
        }
        _ => return None,
    };
    Some(result)
}

/// Exactly `N` arguments.
fn fixed<const N: usize>(args: Vec<Value>) -> Result<[Value; N]> {
    let got = args.len();
    args.try_into()
        .map_err(|_| format!("expected {N} argument(s), got {got}"))
}

/// Between `min` and `max` arguments.
fn between(args: &[Value], min: usize, max: usize) -> Result<()> {
    if (min..=max).contains(&args.len()) {
        Ok(())
    } else {
        Err(format!(
            "expected {min} to {max} arguments, got {}",
            args.len()
        ))
    }
}

fn not_null(value: &Value) -> Result<()> {
    if value.is_null() {
        Err("argument must not be null".to_owned())
    } else {
        Ok(())
    }
}

fn string(value: &Value) -> Result<String> {
    not_null(value)?;
    value::to_string(value)
}

fn number(value: &Value) -> Result<f64> {
    not_null(value)?;
    value::to_f64(value)
}

fn integer(value: &Value) -> Result<i64> {
    not_null(value)?;
    value::to_i64(value)
}

fn list(value: Value) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Null => Err("argument must not be null".to_owned()),
        other => Err(format!(
            "a list is required, not {}",
            value::type_name(&other)
        )),
    }
}

fn object(value: Value) -> Result<Map> {
    match value {
        Value::Object(entries) => Ok(entries),
        Value::Null => Err("argument must not be null".to_owned()),
        other => Err(format!(
            "a map is required, not {}",
            value::type_name(&other)
        )),
    }
}

fn strings(value: Value) -> Result<Vec<String>> {
    list(value)?.iter().map(string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(name: &str, args: Value, expected: Value) {
        let Value::Array(args) = args else {
            panic!("arguments must be a list")
        };
        let env = FuncEnv::new(Some(7));
        assert_eq!(call(name, args, &env), Some(Ok(expected)), "{name}");
    }

    fn fails(name: &str, args: Value) -> String {
        let Value::Array(args) = args else {
            panic!("arguments must be a list")
        };
        match call(name, args, &FuncEnv::new(None)) {
            Some(Err(e)) => e,
            other => panic!("{name} should fail, got {other:?}"),
        }
    }

    #[test]
    fn numeric() {
        check("abs", json!([-3.5]), json!(3.5));
        check("ceil", json!([1.2]), json!(2));
        check("floor", json!([-1.2]), json!(-2));
        check("log", json!([8, 2]), json!(3));
        check("max", json!([1, "7", 3]), json!(7));
        check("min", json!([4, 2.5]), json!(2.5));
        check("parseint", json!(["ff", 16]), json!(255));
        check("parseint", json!(["-101", 2]), json!(-5));
        check("pow", json!([2, 10]), json!(1024));
        check("signum", json!([-9]), json!(-1));
        assert_eq!(
            fails("parseint", json!(["12", 1])),
            "base must be between 2 and 62"
        );
    }

    #[test]
    fn strings() {
        check("chomp", json!(["hi\r\n\n"]), json!("hi"));
        check(
            "format",
            json!([
                "%s-%03d %.2f %q %v %t %x %%",
                "a",
                7,
                1.23456,
                "q",
                [1],
                true,
                255
            ]),
            json!("a-007 1.23 \"q\" [1] true ff %"),
        );
        check(
            "format",
            json!(["%[2]s %[1]s %-4s|%5.1f", "a", "b", 2.25]),
            json!("b a b   |  2.2"),
        );
        check(
            "formatlist",
            json!(["%s=%s", ["a", "b"], "x"]),
            json!(["a=x", "b=x"]),
        );
        check("indent", json!([2, "a\nb\n"]), json!("a\n  b\n  "));
        check("join", json!(["-", ["a", "b"], ["c"]]), json!("a-b-c"));
        check("lower", json!(["ÀB"]), json!("àb"));
        check("upper", json!(["ab"]), json!("AB"));
        check("replace", json!(["a-b-c", "-", "+"]), json!("a+b+c"));
        check(
            "replace",
            json!(["a1b22", "/([0-9]+)/", "<$1>"]),
            json!("a<1>b<22>"),
        );
        check(
            "regex_replace",
            json!(["v1.2", "[0-9]", "N"]),
            json!("vN.N"),
        );
        check("split", json!([",", "a,,b"]), json!(["a", "", "b"]));
        check("strlen", json!(["héllo"]), json!(5));
        check("strrev", json!(["abc"]), json!("cba"));
        check("substr", json!(["hello world", 1, 4]), json!("ello"));
        check("substr", json!(["hello world", -5, -1]), json!("world"));
        check(
            "title",
            json!(["hello big-world"]),
            json!("Hello Big-World"),
        );
        check("trim", json!(["?!hi?!", "!?"]), json!("hi"));
        check("trimprefix", json!(["nomad-job", "nomad-"]), json!("job"));
        check("trimsuffix", json!(["job.hcl", ".hcl"]), json!("job"));
        check("trimspace", json!(["  x \n"]), json!("x"));
        assert!(fails("format", json!(["%d", "x"])).contains("%d"));
    }

    #[test]
    fn collections() {
        check("chunklist", json!([[1, 2, 3], 2]), json!([[1, 2], [3]]));
        check("coalesce", json!([null, "", "b"]), json!("b"));
        check("coalescelist", json!([[], ["x"]]), json!(["x"]));
        check("compact", json!([["a", "", null, "b"]]), json!(["a", "b"]));
        check("concat", json!([[1], [2, 3]]), json!([1, 2, 3]));
        check("contains", json!([["a", 1], 1]), json!(true));
        check("distinct", json!([[1, 2, 1]]), json!([1, 2]));
        check("element", json!([["a", "b"], 3]), json!("b"));
        check("flatten", json!([[[1, [2]], 3]]), json!([1, 2, 3]));
        check("index", json!([["a", "b"], "b"]), json!(1));
        check("keys", json!([{"b": 1, "a": 2}]), json!(["a", "b"]));
        check("length", json!(["héllo"]), json!(5));
        check("length", json!([{"a": 1}]), json!(1));
        check("lookup", json!([{"a": 1}, "b", 9]), json!(9));
        check(
            "merge",
            json!([{"a": 1, "b": 1}, {"b": 2}]),
            json!({"a": 1, "b": 2}),
        );
        check("range", json!([3]), json!([0, 1, 2]));
        check("range", json!([10, 0, -4]), json!([10, 6, 2]));
        check("reverse", json!([[1, 2]]), json!([2, 1]));
        check(
            "setintersection",
            json!([["a", "b"], ["b", "c"]]),
            json!(["b"]),
        );
        check(
            "setproduct",
            json!([["a", "b"], [1]]),
            json!([["a", 1], ["b", 1]]),
        );
        check("setunion", json!([["b"], ["a", "b"]]), json!(["a", "b"]));
        check("slice", json!([[1, 2, 3, 4], 1, 3]), json!([2, 3]));
        check("sort", json!([["b", "a", "c"]]), json!(["a", "b", "c"]));
        check("values", json!([{"b": 1, "a": 2}]), json!([2, 1]));
        check(
            "zipmap",
            json!([["a", "b"], [1, 2]]),
            json!({"a": 1, "b": 2}),
        );
        assert_eq!(
            fails("lookup", json!([{"a": 1}, "b"])),
            "lookup failed to find key \"b\""
        );
        assert_eq!(fails("index", json!([[], 1])), "item not found");
    }

    #[test]
    fn encodings() {
        check("base64encode", json!(["hello"]), json!("aGVsbG8="));
        check("base64decode", json!(["aGVsbG8="]), json!("hello"));
        check("urlencode", json!(["a b&c/é"]), json!("a+b%26c%2F%C3%A9"));
        check(
            "jsonencode",
            json!([{"b": [1, "<x>"], "a": true}]),
            json!(r#"{"a":true,"b":[1,"\u003cx\u003e"]}"#),
        );
        check(
            "jsondecode",
            json!([r#"{"a": [1, 2.5, null]}"#]),
            json!({"a": [1, 2.5, null]}),
        );
        check(
            "csvdecode",
            json!(["a,b\n1,\"x,y\"\n"]),
            json!([{"a": "1", "b": "x,y"}]),
        );
        assert!(fails("base64decode", json!(["!!"])).contains("base64"));
    }

    #[test]
    fn digests_and_uuids() {
        check(
            "md5",
            json!(["hello"]),
            json!("5d41402abc4b2a76b9719d911017c592"),
        );
        check(
            "sha1",
            json!(["hello"]),
            json!("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        );
        check(
            "sha256",
            json!(["hello"]),
            json!("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        );
        check(
            "uuidv5",
            json!(["dns", "www.example.com"]),
            json!("2ed6657d-e927-568b-95e1-2665a8aea6a2"),
        );
        let env = FuncEnv::new(Some(1));
        let first = call("uuidv4", vec![], &env);
        let second = call("uuidv4", vec![], &env);
        assert_ne!(first, second);
        assert_eq!(first, call("uuidv4", vec![], &FuncEnv::new(Some(1))));
        assert!(fails("uuidv4", json!([])).contains("seed"));
    }

    #[test]
    fn networks_and_dates() {
        check(
            "cidrhost",
            json!(["10.12.112.0/20", 16]),
            json!("10.12.112.16"),
        );
        check(
            "cidrhost",
            json!(["10.12.112.0/20", -1]),
            json!("10.12.127.255"),
        );
        check(
            "cidrnetmask",
            json!(["172.16.0.0/12"]),
            json!("255.240.0.0"),
        );
        check(
            "cidrsubnet",
            json!(["10.1.2.0/24", 4, 15]),
            json!("10.1.2.240/28"),
        );
        check(
            "cidrsubnet",
            json!(["fd00:fd12:3456:7890::/56", 16, 162]),
            json!("fd00:fd12:3456:7800:a200::/72"),
        );
        check(
            "cidrsubnets",
            json!(["10.1.0.0/16", 4, 4, 8, 4]),
            json!([
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]),
        );
        check(
            "formatdate",
            json!(["DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z"]),
            json!("02 Jan 2018 23:12 UTC"),
        );
        check(
            "formatdate",
            json!(["EEEE, H:mmaa 'o''clock' Z", "2018-01-02T03:04:05-08:00"]),
            json!("Tuesday, 3:04am o'clock -08:00"),
        );
        check(
            "timeadd",
            json!(["2017-11-22T00:00:00Z", "10m"]),
            json!("2017-11-22T00:10:00Z"),
        );
        assert!(fails("timeadd", json!(["yesterday", "1h"])).contains("RFC3339"));
    }

    #[test]
    fn unavailable_functions_say_so() {
        assert_eq!(fails("file", json!(["x"])), "filesystem function disabled");
        assert!(fails("yamlencode", json!([1])).contains("not available"));
        assert_eq!(call("nope", vec![], &FuncEnv::new(None)), None);
    }
}
