fn main() {
    napi_build::setup();
    // The variadic fcntl() entry of src/io/db/locking.rs (unix only).
    if std::env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|f| f.split(',').any(|f| f == "unix")) {
        println!("cargo:rerun-if-changed=src/io/db/fcntl_shim.c");
        cc::Build::new()
            .file("src/io/db/fcntl_shim.c")
            .warnings(true)
            .compile("aipm_fcntl_shim");
    }
}
