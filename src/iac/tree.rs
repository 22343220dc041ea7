//! A parsed JSON or YAML document that keeps the line of every value and key: what the gate
//! needs to name where a resource is written. YAML short-form tags become CloudFormation's long
//! form as cfn-lint reads them (`!Ref X` -> `{"Ref": "X"}`, `!GetAtt A.B` ->
//! `{"Fn::GetAtt": ["A", "B"]}`, `!Sub ...` -> `{"Fn::Sub": ...}`). JSON may hold `//` and
//! `/* */` comments.

use crate::error::Error;

/// A value and the line (1-based) it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(String),
    String(String),
    List(Vec<Node>),
    /// Keys in the order written, each with its line.
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub line: usize,
    pub value: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(s),
            _ => None,
        }
    }

    /// Into plain JSON (lines dropped).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => n
                .parse::<serde_json::Number>()
                .map(serde_json::Value::Number)
                .unwrap_or_else(|_| n.clone().into()),
            Value::String(s) => s.clone().into(),
            Value::List(l) => l.iter().map(Node::to_json).collect(),
            Value::Map(m) => m
                .iter()
                .map(|e| (e.key.clone(), e.value.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

fn bad(path: &str, line: usize, column: usize, why: impl std::fmt::Display) -> Error {
    Error::BadInput {
        what: "file",
        value: format!("{path}:{line}:{column}"),
        why: format!("does not parse: {why}"),
    }
}

/// Parse `text`: JSON (with comments) when the file is `.json` or starts with `{`, `[` or a
/// comment; YAML otherwise.
pub fn parse(path: &str, text: &str) -> Result<Node, Error> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    let is_json =
        ["{", "[", "//", "/*"].iter().any(|p| start.starts_with(p)) || path.ends_with(".json");
    if is_json {
        json(path, text)
    } else {
        yaml(path, text)
    }
}

/// JSON with comments, through `jsonc-parser`.
fn json(path: &str, text: &str) -> Result<Node, Error> {
    let lines = LineIndex::new(text);
    let parsed = jsonc_parser::parse_to_ast(
        text,
        &jsonc_parser::CollectOptions::default(),
        &jsonc_parser::ParseOptions {
            allow_comments: true,
            allow_loose_object_property_names: false,
            allow_trailing_commas: false,
            ..Default::default()
        },
    )
    .map_err(|e| {
        let (line, column) = lines.at(e.range().start);
        bad(path, line, column, e.kind())
    })?;
    let Some(value) = parsed.value else {
        return Err(bad(path, 1, 1, "the file is empty"));
    };
    Ok(from_json(&value, &lines))
}

fn from_json(v: &jsonc_parser::ast::Value<'_>, lines: &LineIndex) -> Node {
    use jsonc_parser::ast::Value as J;
    use jsonc_parser::common::Ranged;
    let line = lines.at(v.range().start).0;
    let value = match v {
        J::NullKeyword(_) => Value::Null,
        J::BooleanLit(b) => Value::Bool(b.value),
        J::NumberLit(n) => Value::Number(n.value.to_string()),
        J::StringLit(s) => Value::String(s.value.to_string()),
        J::Array(a) => Value::List(a.elements.iter().map(|e| from_json(e, lines)).collect()),
        J::Object(o) => Value::Map(
            o.properties
                .iter()
                .map(|p| Entry {
                    key: p.name.as_str().to_string(),
                    line: lines.at(p.range().start).0,
                    value: from_json(&p.value, lines),
                })
                .collect(),
        ),
    };
    Node { line, value }
}

/// Byte offset -> (line, column), both 1-based.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn at(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        (line.max(1), offset - start + 1)
    }
}

/// YAML through `yaml-rust2`'s event stream, keeping each event's position and tag.
fn yaml(path: &str, text: &str) -> Result<Node, Error> {
    let mut builder = Builder::default();
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| {
        let m = e.marker();
        bad(path, m.line(), m.col() + 1, e.info())
    })?;
    if let Some(e) = builder.error {
        return Err(bad(path, e.0, e.1, e.2));
    }
    builder
        .done
        .ok_or_else(|| bad(path, 1, 1, "the file is empty"))
}

enum Open {
    List(usize, Option<String>, Vec<Node>),
    Map(usize, Option<String>, Vec<Entry>, Option<(String, usize)>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    done: Option<Node>,
    anchors: std::collections::HashMap<usize, Node>,
    error: Option<(usize, usize, String)>,
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.done.is_none() {
                    self.done = Some(node);
                }
            }
            Some(Open::List(_, _, items)) => items.push(node),
            Some(Open::Map(_, _, entries, key)) => match key.take() {
                None => match &node.value {
                    Value::String(s) | Value::Number(s) => *key = Some((s.clone(), node.line)),
                    Value::Bool(b) => *key = Some((b.to_string(), node.line)),
                    Value::Null => *key = Some(("null".into(), node.line)),
                    _ => {
                        if self.error.is_none() {
                            self.error = Some((node.line, 1, "a key that is not text".into()));
                        }
                        *key = Some((String::new(), node.line));
                    }
                },
                Some((k, line)) => entries.push(Entry {
                    key: k,
                    line,
                    value: node,
                }),
            },
        }
    }
}

/// A short-form tag's long form: `Ref`, `Condition` or `Fn::X`.
fn long_form(tag: &str) -> String {
    match tag {
        "Ref" | "Condition" => tag.to_string(),
        other => format!("Fn::{other}"),
    }
}

/// A tagged value in its long form.
fn tagged(tag: Option<String>, node: Node) -> Node {
    let Some(tag) = tag else { return node };
    let line = node.line;
    let value = match (tag.as_str(), node.value) {
        ("GetAtt", Value::String(s)) => {
            let (resource, attribute) = s.split_once('.').unwrap_or((s.as_str(), ""));
            Node {
                line,
                value: Value::List(vec![
                    Node {
                        line,
                        value: Value::String(resource.into()),
                    },
                    Node {
                        line,
                        value: Value::String(attribute.into()),
                    },
                ]),
            }
        }
        (_, value) => Node { line, value },
    };
    Node {
        line,
        value: Value::Map(vec![Entry {
            key: long_form(&tag),
            line,
            value,
        }]),
    }
}

/// The short-form tag of an event (`!Ref` -> `Ref`); standard tags (`!!str`) are not short forms.
fn short(tag: Option<yaml_rust2::parser::Tag>) -> Option<String> {
    let tag = tag?;
    (tag.handle == "!").then_some(tag.suffix)
}

impl yaml_rust2::parser::MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: yaml_rust2::Event, mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::scanner::TScalarStyle;
        use yaml_rust2::Event;
        let line = mark.line();
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain;
                let value = if !plain || tag.as_ref().is_some_and(|t| t.handle == "!") {
                    Value::String(text)
                } else {
                    match text.as_str() {
                        "~" | "null" | "Null" | "NULL" | "" => Value::Null,
                        "true" | "True" | "TRUE" => Value::Bool(true),
                        "false" | "False" | "FALSE" => Value::Bool(false),
                        t if t.parse::<f64>().is_ok() && !t.starts_with('.') => Value::Number(text),
                        _ => Value::String(text),
                    }
                };
                let node = tagged(short(tag), Node { line, value });
                self.push(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => {
                self.stack.push(Open::List(anchor, short(tag), Vec::new()));
            }
            Event::MappingStart(anchor, tag) => {
                self.stack
                    .push(Open::Map(anchor, short(tag), Vec::new(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                // The collection starts on its first item's line (an empty one where it ends).
                let (anchor, tag, first, value) = match self.stack.pop() {
                    Some(Open::List(anchor, tag, items)) => (
                        anchor,
                        tag,
                        items.first().map(|n| n.line),
                        Value::List(items),
                    ),
                    Some(Open::Map(anchor, tag, entries, _)) => (
                        anchor,
                        tag,
                        entries.first().map(|e| e.line),
                        Value::Map(entries),
                    ),
                    None => return,
                };
                let node = tagged(
                    tag,
                    Node {
                        line: first.unwrap_or(line),
                        value,
                    },
                );
                self.push(node, anchor);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node {
                    line,
                    value: Value::Null,
                });
                self.push(node, 0);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_short_tags_become_the_long_form_and_keep_their_lines() {
        let text = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n  Alarm:\n    Properties:\n      AlarmActions: [!Ref Topic]\n      Arn: !GetAtt Group.Arn\n      Name: !Sub '${AWS::StackName}-x'\n      Period: 300\n";
        let n = parse("t.yaml", text).unwrap();
        let r = n.get("Resources").unwrap();
        assert_eq!(r.entries().unwrap()[1].line, 4);
        let p = r.get("Alarm").unwrap().get("Properties").unwrap();
        assert_eq!(
            p.to_json(),
            serde_json::json!({"AlarmActions": [{"Ref": "Topic"}], "Arn": {"Fn::GetAtt": ["Group", "Arn"]},
                "Name": {"Fn::Sub": "${AWS::StackName}-x"}, "Period": 300})
        );
        assert_eq!(p.get("Period").unwrap().line, 9);
    }

    #[test]
    fn json_keeps_lines_and_reads_comments() {
        let text = "{\n  // a comment\n  \"Resources\": {\n    /* block */\n    \"Topic\": {\"Type\": \"AWS::SNS::Topic\"}\n  }\n}\n";
        let n = parse("t.json", text).unwrap();
        let r = n.get("Resources").unwrap();
        assert_eq!(r.entries().unwrap()[0].line, 5);
    }

    #[test]
    fn a_file_that_does_not_parse_names_its_line_and_column() {
        let e = parse("bad.json", "{\n  \"a\": [1,\n}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.json:3:"), "{e}");
        let e = parse("bad.yaml", "a: [1\nb: 2\n").unwrap_err().to_string();
        assert!(e.contains("bad.yaml:"), "{e}");
    }
}
