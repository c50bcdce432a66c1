//! `test-host plugin-info`.

use host_sdk::Plugin;
use serde_json::json;

use crate::cli::GlobalOptions;
use crate::error::CliResult;
use crate::paths;

/// Loads the plugin (without creating a provider) and prints who it is.
pub fn run(global: &GlobalOptions, as_json: bool) -> CliResult {
    let path = paths::plugin_path(global.plugin.as_deref())?;
    let plugin = Plugin::load(&path)?;
    let info = plugin.info();
    if as_json {
        let value = json!({
            "provider_id": info.provider_id,
            "plugin_version": info.plugin_version,
            "interface_version": info.interface_version,
            "host_interface_version": host_sdk::INTERFACE_VERSION,
            "build": info.build,
            "path": plugin.path(),
        });
        outln!("{value:#}")?;
    } else {
        outln!("provider id:        {}", info.provider_id)?;
        outln!("plugin version:     {}", info.plugin_version)?;
        outln!("interface version:  {}", info.interface_version)?;
        outln!("host interface:     {}", host_sdk::INTERFACE_VERSION)?;
        outln!("build:              {}", info.build)?;
        outln!("path:               {}", plugin.path().display())?;
    }
    Ok(())
}
