;; An HTTP-like request handler: input = a request ("GET /path HTTP/1.1\r\n..."), output = a full
;; response. GET answers 200 with a body naming the path; any other method gets 405; input that is
;; not a request line gets 400.
(module
  (memory (export "memory") 2)
  (data (i32.const 16) "HTTP/1.1 200 OK\0d\0acontent-type: text/plain\0d\0acontent-length: ")      ;; 59 bytes
  (data (i32.const 96) "\0d\0a\0d\0a")                                                          ;; 4 bytes
  (data (i32.const 112) "hello from wasm: ")                                                      ;; 17 bytes
  (data (i32.const 144) "HTTP/1.1 405 Method Not Allowed\0d\0acontent-length: 0\0d\0a\0d\0a")  ;; 54 bytes
  (data (i32.const 208) "HTTP/1.1 400 Bad Request\0d\0acontent-length: 0\0d\0a\0d\0a")         ;; 47 bytes
  (global $heap (mut i32) (i32.const 1024))
  (func (export "alloc") (param $len i32) (result i32)
    (global.set $heap (i32.add (i32.const 1024) (local.get $len)))
    (call $ensure (global.get $heap))
    (i32.const 1024))
  (func $ensure (param $end i32)
    (loop $more
      (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
        (then
          (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
          (br $more)))))
  (func $packed (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  ;; Append `len` bytes from `src` at the output cursor; returns the new cursor.
  (func $put (param $at i32) (param $src i32) (param $len i32) (result i32)
    (call $ensure (i32.add (local.get $at) (local.get $len)))
    (memory.copy (local.get $at) (local.get $src) (local.get $len))
    (i32.add (local.get $at) (local.get $len)))
  ;; Append a non-negative number in decimal.
  (func $putNumber (param $at i32) (param $n i32) (result i32)
    (local $digits i32) (local $m i32)
    (local.set $m (local.get $n))
    (loop $count
      (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
      (local.set $m (i32.div_u (local.get $m) (i32.const 10)))
      (br_if $count (local.get $m)))
    (call $ensure (i32.add (local.get $at) (local.get $digits)))
    (local.set $m (i32.add (local.get $at) (local.get $digits)))
    (loop $digit
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (i32.store8 (local.get $m) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (i32.gt_u (local.get $m) (local.get $at))))
    (i32.add (local.get $at) (local.get $digits)))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $methodEnd i32) (local $pathEnd i32) (local $out i32) (local $at i32) (local $bodyLen i32)
    (local.set $out (global.get $heap))
    ;; method: up to the first space
    (block $found
      (loop $scan
        (if (i32.ge_u (local.get $i) (local.get $len)) (then (return (call $packed (i32.const 208) (i32.const 47)))))
        (br_if $found (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.set $methodEnd (local.get $i))
    (if (i32.eqz (local.get $methodEnd)) (then (return (call $packed (i32.const 208) (i32.const 47)))))
    ;; "GET" and nothing else
    (if (i32.or (i32.ne (local.get $methodEnd) (i32.const 3))
          (i32.ne (i32.and (i32.load (local.get $ptr)) (i32.const 0x00ffffff)) (i32.const 0x00544547)))
      (then (return (call $packed (i32.const 144) (i32.const 54)))))
    ;; path: after the space, up to the next space, CR or the end
    (local.set $i (i32.add (local.get $methodEnd) (i32.const 1)))
    (block $end
      (loop $path
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (br_if $end (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 32)))
        (br_if $end (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 13)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $path)))
    (local.set $pathEnd (local.get $i))
    (if (i32.eq (local.get $pathEnd) (i32.add (local.get $methodEnd) (i32.const 1))) (then (return (call $packed (i32.const 208) (i32.const 47)))))
    (local.set $bodyLen (i32.add (i32.const 18) (i32.sub (local.get $pathEnd) (i32.add (local.get $methodEnd) (i32.const 1)))))
    (local.set $at (call $put (local.get $out) (i32.const 16) (i32.const 59)))
    (local.set $at (call $putNumber (local.get $at) (local.get $bodyLen)))
    (local.set $at (call $put (local.get $at) (i32.const 96) (i32.const 4)))
    (local.set $at (call $put (local.get $at) (i32.const 112) (i32.const 17)))
    (local.set $at (call $put (local.get $at) (i32.add (local.get $ptr) (i32.add (local.get $methodEnd) (i32.const 1))) (i32.sub (local.get $pathEnd) (i32.add (local.get $methodEnd) (i32.const 1)))))
    (call $ensure (i32.add (local.get $at) (i32.const 1)))
    (i32.store8 (local.get $at) (i32.const 10))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (call $packed (local.get $out) (i32.sub (local.get $at) (local.get $out)))))
