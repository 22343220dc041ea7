//! Terraform plans (`terraform show -json plan.out`) -> [`Declared`]: the resources of
//! `planned_values` (every module), with a value known only after apply followed through
//! `configuration` (a reference to another resource, or a module input to what its call passes)
//! and taken from `prior_state` when the resource already exists.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::terraform::{attribute, declare_settled, ENDPOINTS};
use super::tree::Node;
use super::{mark, Context, Declared, Place};
use crate::error::Error;

/// A plan has `planned_values` (a template has `Resources`).
pub fn is_plan(root: &Node) -> bool {
    root.get("planned_values").is_some() || root.get("terraform_version").is_some()
}

/// One managed resource of the plan.
struct Resource {
    /// `module.cis` or empty for the root module.
    module: String,
    kind: String,
    name: String,
    address: String,
    values: J,
    unknown: J,
    line: usize,
}

struct Plan<'a> {
    ctx: &'a Context,
    resources: Vec<Resource>,
    /// `module.a.module.b` -> its configuration (`resources`, `module_calls`).
    config: BTreeMap<String, J>,
    prior: BTreeMap<String, J>,
}

pub fn read(path: &str, root: &Node, ctx: &Context) -> Result<Declared, Error> {
    let json = root.to_json();
    let mut plan = Plan {
        ctx,
        resources: Vec::new(),
        config: BTreeMap::new(),
        prior: BTreeMap::new(),
    };
    let unknown: BTreeMap<String, J> = json
        .get("resource_changes")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c.get("address")?.as_str()?.to_string(),
                c.pointer("/change/after_unknown")
                    .cloned()
                    .unwrap_or(J::Null),
            ))
        })
        .collect();
    if let Some(m) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        collect(m, &unknown, &mut plan.resources);
    }
    if let Some(m) = json.pointer("/configuration/root_module") {
        configs(String::new(), m, &mut plan.config);
    }
    if let Some(m) = json.pointer("/prior_state/values/root_module") {
        priors(m, &mut plan.prior);
    }
    let mut d = Declared {
        source: path.to_string(),
        kind: "Terraform plan",
        ..Declared::default()
    };
    // Each resource's values, settled once: for the endpoints first, then to declare.
    let settled: Vec<J> = plan.resources.iter().map(|r| plan.settled(r)).collect();
    for (r, a) in plan.resources.iter().zip(&settled) {
        if ENDPOINTS.contains(&r.kind.as_str()) {
            if let Some(J::String(arn)) = attribute(&r.kind, &r.name, a, "arn", ctx) {
                d.endpoints.insert(arn);
            }
        }
    }
    for (r, a) in plan.resources.iter().zip(&settled) {
        let place = Place {
            file: path.to_string(),
            line: r.line,
            id: r.address.clone(),
        };
        declare_settled(&mut d, &r.kind, &r.name, a, place, ctx);
    }
    Ok(d)
}

fn collect(module: &Node, unknown: &BTreeMap<String, J>, out: &mut Vec<Resource>) {
    let prefix = module
        .get("address")
        .and_then(Node::str)
        .unwrap_or_default()
        .to_string();
    for r in module
        .get("resources")
        .and_then(Node::items)
        .unwrap_or_default()
    {
        let field = |k: &str| r.get(k).and_then(Node::str).unwrap_or_default().to_string();
        if field("mode") == "data" {
            continue;
        }
        let address = field("address");
        out.push(Resource {
            module: prefix.clone(),
            kind: field("type"),
            name: field("name"),
            values: r.get("values").map(Node::to_json).unwrap_or(J::Null),
            unknown: unknown.get(&address).cloned().unwrap_or(J::Null),
            address,
            line: r.line,
        });
    }
    for child in module
        .get("child_modules")
        .and_then(Node::items)
        .unwrap_or_default()
    {
        collect(child, unknown, out);
    }
}

fn configs(path: String, module: &J, out: &mut BTreeMap<String, J>) {
    if let Some(calls) = module.get("module_calls").and_then(J::as_object) {
        for (name, call) in calls {
            let child = if path.is_empty() {
                format!("module.{name}")
            } else {
                format!("{path}.module.{name}")
            };
            if let Some(m) = call.get("module") {
                configs(child, m, out);
            }
        }
    }
    out.insert(path, module.clone());
}

fn priors(module: &J, out: &mut BTreeMap<String, J>) {
    for r in module
        .get("resources")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(a), Some(v)) = (r.get("address").and_then(J::as_str), r.get("values")) {
            out.insert(a.to_string(), v.clone());
        }
    }
    for c in module
        .get("child_modules")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        priors(c, out);
    }
}

/// Is this (part of an) `after_unknown` true anywhere?
fn any_unknown(v: &J) -> bool {
    match v {
        J::Bool(b) => *b,
        J::Array(a) => a.iter().any(any_unknown),
        J::Object(o) => o.values().any(any_unknown),
        _ => false,
    }
}

impl Plan<'_> {
    /// The resource's values, with each value known only after apply followed through the
    /// configuration.
    fn settled(&self, r: &Resource) -> J {
        let mut values = r.values.as_object().cloned().unwrap_or_default();
        let Some(unknown) = r.unknown.as_object() else {
            return J::Object(values);
        };
        for (attr, u) in unknown {
            if !any_unknown(u) {
                continue;
            }
            let what = format!("{}.{attr} (known after apply)", r.address);
            // A whole value, or a list of values, known after apply: follow the configuration.
            let whole = match u {
                J::Bool(true) => true,
                J::Array(items) => items.iter().all(|i| *i == J::Bool(true)),
                _ => false,
            };
            let expr = self
                .config_of(&r.module, &r.kind, &r.name)
                .and_then(|c| c.pointer(&format!("/expressions/{attr}")).cloned());
            let resolved = match (whole, expr) {
                // Not in the configuration: the provider computes it (an ARN, an id, a
                // topic's policy when none is set); it is built as the provider will.
                (true, None) => {
                    values.remove(attr);
                    continue;
                }
                (true, Some(e)) if attr != "policy" => {
                    self.expression(&r.module, &e, values.get(attr), &what)
                }
                // A JSON document built from references (`jsonencode`), or a value inside a
                // block: what it is cannot be read from the plan.
                _ => {
                    let mut v = values.get(attr).cloned().unwrap_or(J::Null);
                    fill_unknown(&mut v, u, &what);
                    v
                }
            };
            values.insert(attr.clone(), resolved);
        }
        J::Object(values)
    }

    fn config_of(&self, module: &str, kind: &str, name: &str) -> Option<&J> {
        self.config
            .get(module)?
            .get("resources")?
            .as_array()?
            .iter()
            .find(|c| {
                c.get("type").and_then(J::as_str) == Some(kind)
                    && c.get("name").and_then(J::as_str) == Some(name)
            })
    }

    /// An expression of the configuration in `module`: a constant, or what its references
    /// give (a list when the planned value is one).
    fn expression(&self, module: &str, e: &J, planned: Option<&J>, what: &str) -> J {
        if let Some(c) = e.get("constant_value") {
            return c.clone();
        }
        let refs: Vec<&str> = e
            .get("references")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
            .collect();
        // Terraform lists `a.b.arn` and then `a.b`: each value is the longest of its group.
        let values: Vec<&str> = refs
            .iter()
            .copied()
            .filter(|r| {
                !refs
                    .iter()
                    .any(|o| o.len() > r.len() && o.starts_with(&format!("{r}.")))
            })
            .collect();
        match (planned, values.as_slice()) {
            (_, []) => J::String(mark(what)),
            (Some(J::Array(_)), _) => J::Array(
                values
                    .iter()
                    .flat_map(|r| match self.reference(module, r) {
                        J::Array(a) => a,
                        v => vec![v],
                    })
                    .collect(),
            ),
            (_, [one]) => self.reference(module, one),
            // Several values in one (a template string): not read from the plan.
            _ => J::String(mark(what)),
        }
    }

    /// `TYPE.NAME.ATTR` or `var.X` in `module`.
    fn reference(&self, module: &str, r: &str) -> J {
        let parts: Vec<&str> = r.split('.').collect();
        let scoped = |a: &str| {
            if module.is_empty() {
                a.to_string()
            } else {
                format!("{module}.{a}")
            }
        };
        match parts.as_slice() {
            ["var", var, ..] => {
                let Some((parent, call)) = module.rsplit_once("module.") else {
                    return J::String(mark(r));
                };
                let parent = parent.trim_end_matches('.');
                let e = self
                    .config
                    .get(parent)
                    .and_then(|c| c.pointer(&format!("/module_calls/{call}/expressions/{var}")))
                    .cloned();
                match e {
                    Some(e) => self.expression(parent, &e, None, r),
                    None => J::String(mark(&format!("{r} of {module}"))),
                }
            }
            [kind, name, attr, ..] if kind.starts_with("aws_") => {
                let address = scoped(&format!("{kind}.{name}"));
                if let Some(v) = self
                    .prior
                    .get(&address)
                    .and_then(|p| p.get(*attr))
                    .filter(|v| !v.is_null())
                {
                    return v.clone();
                }
                match self.resources.iter().find(|x| x.address == address) {
                    Some(x) => attribute(kind, name, &x.values, attr, self.ctx)
                        .unwrap_or_else(|| J::String(mark(r))),
                    None => J::String(mark(r)),
                }
            }
            _ => J::String(mark(r)),
        }
    }
}

/// Put a mark wherever `unknown` says a value is known only after apply.
fn fill_unknown(value: &mut J, unknown: &J, what: &str) {
    match unknown {
        J::Bool(true) => *value = J::String(mark(what)),
        J::Array(us) => {
            if !value.is_array() {
                *value = J::Array(Vec::new());
            }
            if let J::Array(vs) = value {
                for (i, u) in us.iter().enumerate() {
                    if vs.len() <= i {
                        vs.push(J::Null);
                    }
                    fill_unknown(&mut vs[i], u, what);
                }
            }
        }
        J::Object(us) => {
            if !value.is_object() {
                *value = J::Object(serde_json::Map::new());
            }
            if let J::Object(vs) = value {
                for (k, u) in us {
                    fill_unknown(vs.entry(k.clone()).or_insert(J::Null), u, what);
                }
            }
        }
        _ => {}
    }
}
