//! Terraform files (`.tf`) -> [`Declared`], as KICS reads them: values that are literals, or
//! references between the files given (`aws_sns_topic.alerts.arn`, `var.x` with a default or
//! `--parameter`, `local.x`, `jsonencode(...)`, `"${...}"` templates). A module call, a data
//! source or a variable without a default is "not resolvable from these files".

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::Element;
use hcl_edit::Span;
use serde_json::Value as J;

use super::fields::text;
use super::terraform::{attribute, declare_settled, ENDPOINTS};
use super::{mark, Context, Declared, Place};
use crate::error::Error;

/// Every `.tf` file of a directory, as one configuration.
pub fn read_dir(dir: &str, ctx: &Context) -> Result<(Declared, Context), Error> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::BadInput {
            what: "directory",
            value: dir.into(),
            why: format!("cannot read it: {e}"),
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::BadInput {
            what: "directory",
            value: dir.into(),
            why: "holds no .tf file".into(),
        });
    }
    read_files(dir, &files, ctx)
}

fn read_text(path: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::BadInput {
        what: "file",
        value: path.to_string(),
        why: format!("cannot read it: {e}"),
    })
}

/// A file's HCL body, or one line naming where it does not parse.
fn parse(path: &str, text: &str) -> Result<Body, Error> {
    hcl_edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        Error::BadInput {
            what: "file",
            value: format!("{path}:{}:{}", loc.line(), loc.column()),
            why: format!("does not parse: {}", e.message()),
        }
    })
}

/// A resource block and the file it is in.
struct Block {
    kind: String,
    name: String,
    body: Body,
    place: Place,
}

struct Config<'a> {
    ctx: &'a Context,
    resources: Vec<Block>,
    variables: BTreeMap<String, Option<Expression>>,
    /// `terraform.tfvars` and `*.auto.tfvars` of the directory: above the defaults.
    tfvars: BTreeMap<String, Expression>,
    locals: BTreeMap<String, Expression>,
    /// How many expressions one resource's evaluation has taken (a branching cycle stops at
    /// [`BUDGET`]).
    steps: std::cell::Cell<usize>,
}

/// How many expressions one resource's arguments may take to evaluate.
const BUDGET: usize = 100_000;

/// `.tf` files read as one configuration, named `source`.
pub fn read_files(
    source: &str,
    files: &[String],
    ctx: &Context,
) -> Result<(Declared, Context), Error> {
    let texts = files
        .iter()
        .map(|f| read_text(f))
        .collect::<Result<Vec<String>, Error>>()?;
    let ctx = &ctx.for_text(&texts.concat());
    let mut cfg = Config {
        ctx,
        resources: Vec::new(),
        variables: BTreeMap::new(),
        tfvars: BTreeMap::new(),
        locals: BTreeMap::new(),
        steps: std::cell::Cell::new(0),
    };
    let mut d = Declared {
        source: source.to_string(),
        kind: "Terraform",
        ..Declared::default()
    };
    for (path, text) in files.iter().zip(&texts) {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let body = parse(path, text)?;
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            let labels: Vec<String> = b.labels.iter().map(|l| l.as_str().to_string()).collect();
            let line = b.span().map_or(1, |r| line_of(r.start));
            match (b.ident.as_str(), labels.as_slice()) {
                ("resource", [kind, name]) => cfg.resources.push(Block {
                    kind: kind.clone(),
                    name: name.clone(),
                    body: b.body.clone(),
                    place: Place {
                        file: path.clone(),
                        line,
                        id: format!("{kind}.{name}"),
                    },
                }),
                ("variable", [name]) => {
                    let default = b.body.get_attribute("default").map(|a| a.value.clone());
                    cfg.variables.insert(name.clone(), default);
                }
                ("locals", []) => {
                    for a in b.body.attributes() {
                        cfg.locals
                            .insert(a.key.as_str().to_string(), a.value.clone());
                    }
                }
                ("module", [name]) => {
                    let source = b
                        .body
                        .get_attribute("source")
                        .and_then(|a| match &a.value {
                            Expression::String(s) => Some(s.value().clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    d.unresolved.push((
                        format!("module {name} (source {source})"),
                        Place {
                            file: path.clone(),
                            line,
                            id: format!("module.{name}"),
                        },
                    ));
                }
                _ => {}
            }
        }
    }
    // Variable values of the directory (`terraform.tfvars`, `*.auto.tfvars`), in name order.
    if let Some(dir) = std::path::Path::new(&files[0]).parent() {
        let mut vars: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        vars.retain(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
        });
        vars.sort();
        for path in vars {
            let shown = path.to_string_lossy().into_owned();
            let body = parse(&shown, &read_text(&shown)?)?;
            for a in body.attributes() {
                cfg.tfvars
                    .insert(a.key.as_str().to_string(), a.value.clone());
            }
        }
    }
    // Each resource's arguments, evaluated once: for the endpoints first, then to declare.
    let bodies: Vec<J> = cfg
        .resources
        .iter()
        .map(|r| {
            cfg.steps.set(0);
            cfg.body(&r.body, 0)
        })
        .collect();
    for (r, a) in cfg.resources.iter().zip(&bodies) {
        if ENDPOINTS.contains(&r.kind.as_str()) {
            if let Some(J::String(arn)) = attribute(&r.kind, &r.name, a, "arn", ctx) {
                d.endpoints.insert(arn);
            }
        }
    }
    for (r, a) in cfg.resources.iter().zip(&bodies) {
        cfg.steps.set(0);
        // `count = 0` or an empty `for_each` declares nothing; one the files do not settle
        // makes the resource outside them. A resource with several instances is read once.
        let mut repeat = None;
        for key in ["count", "for_each"] {
            if let Some(attr) = r.body.get_attribute(key) {
                let v = cfg.expr(&attr.value, 0);
                let none = match &v {
                    J::Number(n) => n.as_f64() == Some(0.0),
                    J::Array(a) => a.is_empty(),
                    J::Object(o) => o.is_empty(),
                    _ => false,
                };
                if none {
                    repeat = Some(None);
                } else if let Some(reference) = super::marked(&v) {
                    repeat = Some(Some(format!("{key} = {reference}")));
                }
            }
        }
        if repeat == Some(None) {
            continue;
        }
        let before = d.counts();
        declare_settled(&mut d, &r.kind, &r.name, a, r.place.clone(), ctx);
        let dynamic = r.body.iter().find_map(|s| match s {
            Structure::Block(b) if b.ident.as_str() == "dynamic" => Some(format!(
                "dynamic block {}",
                b.labels
                    .first()
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default()
            )),
            _ => None,
        });
        if let Some(reference) = repeat.flatten().or(dynamic) {
            d.unsettle_since(before, &reference, &r.place);
        }
    }
    Ok((d, ctx.clone()))
}

/// How deep references are followed (a reference cycle stops here).
const DEPTH: usize = 16;

impl Config<'_> {
    /// A block body as JSON: attributes, and nested blocks as arrays of objects.
    fn body(&self, body: &Body, depth: usize) -> J {
        let mut out = serde_json::Map::new();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    out.insert(a.key.as_str().to_string(), self.expr(&a.value, depth));
                }
                Structure::Block(b) => {
                    let entry = out
                        .entry(b.ident.as_str().to_string())
                        .or_insert_with(|| J::Array(Vec::new()));
                    if let J::Array(items) = entry {
                        items.push(self.body(&b.body, depth));
                    }
                }
            }
        }
        J::Object(out)
    }

    fn expr(&self, e: &Expression, depth: usize) -> J {
        self.steps.set(self.steps.get() + 1);
        if depth > DEPTH || self.steps.get() > BUDGET {
            return J::String(mark("a reference cycle"));
        }
        match e {
            Expression::Null(_) => J::Null,
            Expression::Bool(b) => J::Bool(*b.value()),
            Expression::Number(n) => n
                .to_string()
                .trim()
                .parse::<serde_json::Number>()
                .map(J::Number)
                .unwrap_or_else(|_| J::String(n.to_string().trim().to_string())),
            Expression::String(s) => J::String(s.value().clone()),
            Expression::Array(a) => J::Array(a.iter().map(|x| self.expr(x, depth)).collect()),
            Expression::Object(o) => J::Object(
                o.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                            hcl_edit::expr::ObjectKey::Expression(x) => {
                                text(&self.expr(x, depth + 1))
                            }
                        };
                        (key, self.expr(v.expr(), depth))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(t) => self.template(t.iter(), depth),
            Expression::HeredocTemplate(h) => self.template(h.template.iter(), depth),
            Expression::Parenthesis(p) => self.expr(p.inner(), depth),
            Expression::Traversal(t) => self.traversal(t, depth),
            Expression::Variable(v) => J::String(mark(v.as_str())),
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                match (name, f.args.iter().next()) {
                    ("jsonencode", Some(arg)) => {
                        let v = self.expr(arg, depth + 1);
                        J::String(v.to_string())
                    }
                    _ => J::String(mark(&format!("{name}(...)"))),
                }
            }
            _ => J::String(mark("an expression evaluated by Terraform")),
        }
    }

    fn template<'e>(&self, elements: impl Iterator<Item = &'e Element>, depth: usize) -> J {
        let mut out = String::new();
        for el in elements {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => out.push_str(&text(&self.expr(&i.expr, depth + 1))),
                Element::Directive(_) => out.push_str(&mark("a template directive")),
            }
        }
        J::String(out)
    }

    /// `var.x`, `local.x`, `TYPE.NAME.ATTR[...]`.
    fn traversal(&self, t: &hcl_edit::expr::Traversal, depth: usize) -> J {
        let Expression::Variable(root) = &t.expr else {
            return J::String(mark("an expression evaluated by Terraform"));
        };
        let names: Vec<String> = t
            .operators
            .iter()
            .map(|op| match op.value() {
                TraversalOperator::GetAttr(i) => i.as_str().to_string(),
                TraversalOperator::Index(x) => text(&self.expr(x, depth + 1)),
                TraversalOperator::LegacyIndex(i) => i.value().to_string(),
                _ => "*".to_string(),
            })
            .collect();
        let written = std::iter::once(root.as_str().to_string())
            .chain(names.iter().cloned())
            .collect::<Vec<_>>()
            .join(".");
        let path = |v: J, rest: &[String]| -> J {
            rest.iter()
                .fold(v, |v, step| match (&v, step.parse::<usize>()) {
                    (J::Array(a), Ok(i)) => a.get(i).cloned().unwrap_or(J::Null),
                    (J::Object(o), _) => o.get(step.as_str()).cloned().unwrap_or(J::Null),
                    (J::String(s), _) if super::outside(s).is_some() => v.clone(),
                    _ => J::String(mark(&written)),
                })
        };
        match (root.as_str(), names.as_slice()) {
            ("var", [name, rest @ ..]) => {
                if let Some(v) = self.ctx.parameters.get(name) {
                    return path(J::String(v.clone()), rest);
                }
                let v = match (self.tfvars.get(name), self.variables.get(name)) {
                    (Some(value), _) => self.expr(value, depth + 1),
                    (None, Some(Some(default))) => self.expr(default, depth + 1),
                    (None, Some(None)) => J::String(mark(&format!("var.{name} (no default)"))),
                    (None, None) => J::String(mark(&format!("var.{name} (not declared)"))),
                };
                path(v, rest)
            }
            ("local", [name, rest @ ..]) => match self.locals.get(name) {
                Some(e) => path(self.expr(e, depth + 1), rest),
                None => J::String(mark(&written)),
            },
            (kind, [name, rest @ ..]) if kind.starts_with("aws_") => {
                let Some(r) = self
                    .resources
                    .iter()
                    .find(|r| r.kind == kind && &r.name == name)
                else {
                    return J::String(mark(&written));
                };
                let values = self.body(&r.body, depth + 1);
                match rest.first() {
                    Some(attr) => path(
                        attribute(kind, name, &values, attr, self.ctx)
                            .unwrap_or_else(|| J::String(mark(&written))),
                        &rest[1..],
                    ),
                    None => values,
                }
            }
            _ => J::String(mark(&written)),
        }
    }
}
