;; FNV-1a, 64-bit, over the input bytes; the output is the 8-byte digest, big-endian.
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (i32.const 1024))
    (global.set $heap (i32.add (local.get $ptr) (local.get $len)))
    (call $ensure (i32.add (global.get $heap) (i32.const 16)))
    (local.get $ptr))
  ;; Grow memory until `end` fits; a failed grow (the pool's memory cap) traps.
  (func $ensure (param $end i32)
    (loop $more
      (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
        (then
          (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
          (br $more)))))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32) (local $out i32)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $h (i64.mul
          (i64.xor (local.get $h) (i64.load8_u (i32.add (local.get $ptr) (local.get $i))))
          (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.set $out (global.get $heap))
    (call $ensure (i32.add (local.get $out) (i32.const 8)))
    ;; big-endian: byte-swap the little-endian store
    (i64.store (local.get $out)
      (i64.or
        (i64.or
          (i64.or (i64.shl (local.get $h) (i64.const 56)) (i64.and (i64.shl (local.get $h) (i64.const 40)) (i64.const 0x00ff000000000000)))
          (i64.or (i64.and (i64.shl (local.get $h) (i64.const 24)) (i64.const 0x0000ff0000000000)) (i64.and (i64.shl (local.get $h) (i64.const 8)) (i64.const 0x000000ff00000000))))
        (i64.or
          (i64.or (i64.and (i64.shr_u (local.get $h) (i64.const 8)) (i64.const 0x00000000ff000000)) (i64.and (i64.shr_u (local.get $h) (i64.const 24)) (i64.const 0x0000000000ff0000)))
          (i64.or (i64.and (i64.shr_u (local.get $h) (i64.const 40)) (i64.const 0x000000000000ff00)) (i64.shr_u (local.get $h) (i64.const 56))))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32)) (i64.const 8))))
