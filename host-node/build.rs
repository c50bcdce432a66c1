// Node-API addons need a few linker arguments (on macOS: look up Node's
// symbols at load time); napi-build knows them for every platform.
fn main() {
    napi_build::setup();
}
