;; The smallest useful workload: what the warm-start benchmark calls through the pool.
(module
  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))
  (func (export "noop")))
