//! The core's `Error {code, message}` becomes a JavaScript `MQTTError` (index.js's class,
//! extending `Error`) whose `.code` is the documented number (a Number, not napi's status
//! string) and whose message is the core's text unchanged.

use napi::{Env, JsFunction, JsUnknown, Ref};

/// The `MQTTError` constructor index.js registers once at load time, so every error the
/// addon builds (thrown or rejected) is an instance of the class users test with
/// `instanceof`. Kept as the environment's instance data: one per Node environment
/// (worker threads load their own copy of index.js and register their own class).
struct ErrorClass(Ref<()>);

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
#[napi_derive::napi(js_name = "useErrorClass")]
pub fn use_error_class(env: Env, class: JsFunction) -> napi::Result<()> {
    crate::guard::guarded(|| {
        let class = ErrorClass(env.create_reference(class)?);
        env.set_instance_data(class, (), |mut ctx| {
            // The environment is going away: release the reference so napi's debug check
            // of leaked references stays quiet.
            let _ = ctx.value.0.unref(ctx.env);
        })
    })
}

/// Build the JS error object now (we are on the JS thread) and hand it to napi as a raw
/// reference, so napi throws or rejects with exactly this object.
pub fn to_js(env: &Env, err: &ferromq::Error) -> napi::Error {
    match build(env, err) {
        Ok(obj) => napi::Error::from(obj),
        // Building the object failed (out of memory, a pending exception): fall back to a
        // plain napi error that still carries the code in its text.
        Err(_) => napi::Error::new(
            napi::Status::GenericFailure,
            format!("[{}] {}", err.code, err.message),
        ),
    }
}

fn build(env: &Env, err: &ferromq::Error) -> napi::Result<JsUnknown> {
    if let Some(class) = env.get_instance_data::<ErrorClass>()? {
        let ctor: JsFunction = env.get_reference_value(&class.0)?;
        let message = env.create_string(&err.message)?;
        let code = env.create_int32(err.code)?;
        return Ok(ctor
            .new_instance(&[message.into_unknown(), code.into_unknown()])?
            .into_unknown());
    }
    // Before index.js registered its class (never, through the package): a plain Error.
    let mut obj = env.create_error(napi::Error::new(
        napi::Status::GenericFailure,
        err.message.clone(),
    ))?;
    obj.set_named_property("code", env.create_int32(err.code)?)?;
    Ok(obj.into_unknown())
}

/// The 301 a call still waiting ends with when `interrupt()` ends it, with the core's text
/// (`what`: what the call was doing, e.g. "connecting"); index.js rejects with it.
// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
#[napi_derive::napi(js_name = "interruptedError")]
pub fn interrupted_error(env: Env, what: String) -> napi::Result<JsUnknown> {
    crate::guard::guarded(|| build(&env, &ferromq::Error::interrupted(&what)))
}
