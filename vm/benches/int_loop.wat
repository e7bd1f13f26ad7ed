;; Integer-heavy loop for benchmarks: `run(n)` iterates n times; each iteration loads a
;; word, mixes it into an accumulator (mul, add, xor, rotl) and stores a word back, over
;; a 4 KiB window. 30 steps per iteration.
(module
  (memory 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $a i32)
    (loop $next
      (local.set $a (i32.shl (i32.and (local.get $i) (i32.const 1023)) (i32.const 2)))
      (local.set $acc
        (i32.xor
          (i32.add (i32.mul (local.get $acc) (i32.const 1103515245)) (i32.load (local.get $a)))
          (i32.rotl (local.get $i) (i32.const 7))))
      (i32.store (local.get $a) (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
