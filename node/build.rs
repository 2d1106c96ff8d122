// Node resolves the napi_* symbols when it loads the addon, so the linker must allow them
// to be undefined; napi-build adds the right flags for the target.
fn main() {
    napi_build::setup();
}
