//! Terraform references (`azurerm_storage_account.sa.name`, `var.vault_id`,
//! `module.db.server_id`), read the same way from a plan's configuration
//! `references` and from Terraform source: what a child resource's parent
//! attribute points at.

/// What a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A resource or data source of the same module, by address without
    /// instance key: `azurerm_storage_account.sa`, `data.azurerm_key_vault.kv`.
    Resource(String),
    /// A variable of the module (`var.NAME`): its argument in the module call.
    Variable(String),
    /// An output of a child module (`module.NAME.OUTPUT`).
    ModuleOutput { module: String, output: String },
}

/// Reads a reference; `None` for what names no resource (`local.x`,
/// `each.value`, `count.index`, `path.module`, `terraform.workspace`, `self`).
pub fn target(reference: &str) -> Option<Target> {
    let mut names = names(reference);
    let first = names.next()?;
    match first {
        "var" => Some(Target::Variable(names.next()?.to_string())),
        "module" => Some(Target::ModuleOutput {
            module: names.next()?.to_string(),
            output: names.next()?.to_string(),
        }),
        "data" => {
            let (kind, name) = (names.next()?, names.next()?);
            Some(Target::Resource(format!("data.{kind}.{name}")))
        }
        "local" | "each" | "count" | "path" | "terraform" | "self" => None,
        kind => Some(Target::Resource(format!("{kind}.{}", names.next()?))),
    }
}

/// The dotted names of a reference, instance keys (`[0]`, `["k"]`) skipped.
fn names(reference: &str) -> impl Iterator<Item = &str> {
    let mut rest = reference;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches('.');
        while rest.starts_with('[') {
            rest = super::tfplan::skip_index(rest).trim_start_matches('.');
        }
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        rest = after;
        Some(name)
    })
}

/// Adds the addresses `into` does not hold yet, keeping the order found.
pub fn add_new(into: &mut Vec<String>, found: impl IntoIterator<Item = String>) {
    for address in found {
        if !into.contains(&address) {
            into.push(address);
        }
    }
}

/// `prefix.address`, or `address` at the root.
pub fn absolute(module_address: &str, address: &str) -> String {
    if module_address.is_empty() {
        address.to_string()
    } else {
        format!("{module_address}.{address}")
    }
}

/// The address of a resource instance without its instance keys
/// (`module.a["x"].azurerm_subnet.s[0]` → `module.a.azurerm_subnet.s`).
pub fn without_keys(address: &str) -> String {
    names(address).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_resources_variables_and_outputs() {
        let resource = |a: &str| Some(Target::Resource(a.to_string()));
        assert_eq!(
            target("azurerm_storage_account.sa.name"),
            resource("azurerm_storage_account.sa")
        );
        assert_eq!(
            target("azurerm_storage_account.sa[0].id"),
            resource("azurerm_storage_account.sa")
        );
        assert_eq!(
            target("data.azurerm_key_vault.kv.id"),
            resource("data.azurerm_key_vault.kv")
        );
        assert_eq!(
            target("var.vault_id"),
            Some(Target::Variable("vault_id".into()))
        );
        assert_eq!(
            target("module.db[\"a.b\"].server_id"),
            Some(Target::ModuleOutput {
                module: "db".into(),
                output: "server_id".into()
            })
        );
        for none in [
            "local.name",
            "each.value",
            "count.index",
            "path.module",
            "self",
        ] {
            assert_eq!(target(none), None, "{none}");
        }
        assert_eq!(target("module.db"), None);
    }

    #[test]
    fn instance_keys_are_dropped_from_addresses() {
        assert_eq!(
            without_keys("module.a[\"x.y\"].azurerm_subnet.s[0]"),
            "module.a.azurerm_subnet.s"
        );
        assert_eq!(
            absolute("module.a", "azurerm_subnet.s"),
            "module.a.azurerm_subnet.s"
        );
        assert_eq!(absolute("", "azurerm_subnet.s"), "azurerm_subnet.s");
    }
}
