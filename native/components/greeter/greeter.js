// The built-in component workload (see greeter.wit), made into a WebAssembly component by
// native/build-wasm.mjs with componentize-js.
export function greet(name) {
  return `hello, ${name} (from a WebAssembly component)`
}

export function add(a, b) {
  return (a + b) >>> 0
}

export function wordCount(text) {
  return text.split(/\s+/).filter(Boolean).length
}
