;; A small integer workload for the opml CLI examples: sums i*i for i < n, keeping a
;; running total in linear memory.
(module
  (memory (export "memory") 1)
  (func (export "sum") (param $n i32) (result i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.const 64)
          (i32.add (i32.load (i32.const 64)) (i32.mul (local.get $i) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.load (i32.const 64))))
