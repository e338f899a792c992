//! Rendering a [`Plan`] as text for people: one block per changed resource with a fixed marker
//! (`+` create, `~` update, `-/+` replace, `-` destroy, `<=` read, `=>` adopt, `x` forget),
//! field-level changes, multi-line strings as line diffs, and a summary line.
//!
//! Output is ordered by address and never depends on colour. The JSON form is
//! [`Plan::to_json`]; this module writes into a `String` and prints nothing.

use std::fmt::Write as _;

use serde_json::Value as Json;
use similar::{ChangeTag, TextDiff};

use crate::plan::{Action, FieldChange, Plan, PlanMode};

const UNKNOWN: &str = "(known after apply)";

/// Renders the plan for a terminal or a pull-request comment.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let notes: Vec<_> =
        plan.changes.iter().filter_map(|c| c.note.as_ref().map(|n| (&c.addr, n))).collect();
    if !notes.is_empty() {
        out.push_str("Resolved:\n");
        for (addr, note) in notes {
            let _ = writeln!(out, "  {addr}: {note}");
        }
        out.push('\n');
    }
    let unknown: Vec<_> = plan
        .changes
        .iter()
        .flat_map(|change| change.cannot_tell.iter().map(move |field| (&change.addr, field)))
        .collect();
    if !unknown.is_empty() {
        out.push_str("Cannot tell (left as they are, never replaced for it):\n");
        for (addr, field) in unknown {
            let _ = writeln!(out, "  {addr}: {field}");
        }
        out.push('\n');
    }
    let changes: Vec<_> = plan.changes.iter().filter(|change| change.is_change()).collect();
    if changes.is_empty() {
        out.push_str(match plan.mode {
            PlanMode::Apply => "No changes. The account matches the manifests.\n",
            PlanMode::Destroy => "No changes. Nothing to destroy.\n",
            PlanMode::RefreshOnly => "No changes. State matches the account.\n",
        });
        return out;
    }
    for change in changes {
        for deposed in &change.deposed {
            let _ = writeln!(out, "{} {} (deposed)", Action::Delete.marker(), change.addr);
            let _ = writeln!(out, "    id: {}", deposed.id);
            let _ = writeln!(
                out,
                "    # an older object of this resource: a replacement that created first was stopped before deleting it"
            );
        }
        if let Some(from) = &change.moved_from {
            let _ = writeln!(out, "  {} (moved from {from})", change.addr);
        }
        if change.action == Action::NoOp {
            continue;
        }
        let _ = write!(out, "{} {}", change.action.marker(), change.addr);
        match change.action {
            Action::Replace => out.push_str(" (replace)"),
            Action::Adopt => out.push_str(" (adopt)"),
            Action::Read => out.push_str(" (read)"),
            Action::Forget => out.push_str(" (forget)"),
            Action::Refresh => out.push_str(" (changed outside fireform)"),
            _ => {}
        }
        out.push('\n');
        if let Some(prior) = &change.prior
            && matches!(change.action, Action::Delete | Action::Forget)
        {
            let _ = writeln!(out, "    id: {}", prior.id);
        }
        for reason in &change.reasons {
            let _ = writeln!(out, "    # {reason}");
        }
        if change.action == Action::Create
            && let Some(id) = change.planned.as_ref().and_then(|planned| planned.id.as_ref())
        {
            let _ = writeln!(out, "    id: {}", quote(&Json::String(id.clone())));
        }
        for field in &change.fields {
            render_field(&mut out, field, change.action == Action::Create);
        }
    }
    out.push('\n');
    let summary = plan.summary();
    let forget =
        plan.changes.iter().filter(|c| matches!(c.action, Action::Forget | Action::Read)).count();
    let verb = match plan.mode {
        PlanMode::RefreshOnly => "Refresh",
        _ => "Plan",
    };
    let _ = write!(out, "{verb}: ");
    if summary.import > 0 {
        let _ = write!(out, "{} to import, ", summary.import);
    }
    let _ = write!(
        out,
        "{} to add, {} to change, {} to destroy.",
        summary.add, summary.change, summary.destroy
    );
    let moved = plan.changes.iter().filter(|c| c.moved_from.is_some()).count();
    if forget > 0 || moved > 0 {
        let mut parts = Vec::new();
        if forget > 0 {
            parts.push(format!("{forget} state-only"));
        }
        if moved > 0 {
            parts.push(format!("{moved} moved"));
        }
        let _ = write!(out, " ({})", parts.join(", "));
    }
    out.push('\n');
    out
}

fn render_field(out: &mut String, field: &FieldChange, create: bool) {
    let forces = if field.forces_replace { "  # forces replacement" } else { "" };
    let after = field.after.as_ref().map_or_else(|| UNKNOWN.to_owned(), quote);
    match (&field.before, &field.after) {
        (Some(Json::String(before)), Some(Json::String(after)))
            if before.contains('\n') || after.contains('\n') =>
        {
            let _ = writeln!(out, "    {}:{forces}", field.path);
            let diff = TextDiff::from_lines(before.as_str(), after.as_str());
            for change in diff.iter_all_changes() {
                let sign = match change.tag() {
                    ChangeTag::Delete => "-",
                    ChangeTag::Insert => "+",
                    ChangeTag::Equal => " ",
                };
                let _ = write!(out, "      {sign} {}", change.value());
                if change.missing_newline() {
                    out.push('\n');
                }
            }
        }
        (None, _) if create => {
            let _ = writeln!(out, "    {}: {after}{forces}", field.path);
        }
        (before, _) => {
            let before = before.as_ref().map_or_else(|| "(unset)".to_owned(), quote);
            let _ = writeln!(out, "    {}: {before} -> {after}{forces}", field.path);
        }
    }
}

fn quote(value: &Json) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
}
