;; An image-like transform: input = width (u32 LE), height (u32 LE), then width*height RGBA pixels.
;; Output = the same image in grayscale (ITU-R BT.601 luma, integer weights 77/150/29), alpha kept.
(module
  (memory (export "memory") 2)
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
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (local $p i32) (local $end i32) (local $y i32)
    ;; A header that does not match the length is a bad request: return no output.
    (if (i32.lt_u (local.get $len) (i32.const 8)) (then (return (i64.const 0))))
    (if (i32.ne
          (i32.sub (local.get $len) (i32.const 8))
          (i32.mul (i32.mul (i32.load (local.get $ptr)) (i32.load offset=4 (local.get $ptr))) (i32.const 4)))
      (then (return (i64.const 0))))
    (local.set $p (i32.add (local.get $ptr) (i32.const 8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $pixel
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $y (i32.shr_u
          (i32.add
            (i32.add (i32.mul (i32.load8_u (local.get $p)) (i32.const 77)) (i32.mul (i32.load8_u offset=1 (local.get $p)) (i32.const 150)))
            (i32.mul (i32.load8_u offset=2 (local.get $p)) (i32.const 29)))
          (i32.const 8)))
        (i32.store8 (local.get $p) (local.get $y))
        (i32.store8 offset=1 (local.get $p) (local.get $y))
        (i32.store8 offset=2 (local.get $p) (local.get $y))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $pixel)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))))
