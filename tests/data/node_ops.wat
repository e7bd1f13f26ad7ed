;; A node program for the two-phase game's tests: computes one node of a small graph
;; of i32 vectors from the descriptor at 0x10000 (big-endian u32 words: op, inputs,
;; weights, out_addr, out_height, then slot/addr/height per input and per weight, then
;; the parameters). Ops: 0 add(a, b) over n = p0 elements; 1 matvec(w, a) with n_in =
;; p0, n_out = p1 (w row-major, n_out × n_in); 2 relu(a) over n = p0. Any other op
;; traps. Page 0 is its own memory (nothing there); tensors sit from 0x20000 on.
(module
  (memory (export "memory") 64)
  (func $word (param $i i32) (result i32)
    (local $a i32)
    (local.set $a (i32.add (i32.const 0x10000) (i32.shl (local.get $i) (i32.const 2))))
    (i32.or
      (i32.or
        (i32.shl (i32.load8_u (local.get $a)) (i32.const 24))
        (i32.shl (i32.load8_u offset=1 (local.get $a)) (i32.const 16)))
      (i32.or
        (i32.shl (i32.load8_u offset=2 (local.get $a)) (i32.const 8))
        (i32.load8_u offset=3 (local.get $a)))))
  ;; Address of tensor entry i (inputs first, then weights).
  (func $tensor (param $i i32) (result i32)
    (call $word (i32.add (i32.const 6) (i32.mul (local.get $i) (i32.const 3)))))
  ;; Parameter p.
  (func $param (param $p i32) (result i32)
    (call $word
      (i32.add
        (i32.add (i32.const 5)
          (i32.mul (i32.add (call $word (i32.const 1)) (call $word (i32.const 2))) (i32.const 3)))
        (local.get $p))))
  (func (export "run")
    (local $op i32) (local $out i32) (local $n i32) (local $m i32)
    (local $a i32) (local $b i32) (local $i i32) (local $j i32) (local $acc i32)
    (local.set $op (call $word (i32.const 0)))
    (local.set $out (call $word (i32.const 3)))
    (local.set $n (call $param (i32.const 0)))
    (local.set $a (call $tensor (i32.const 0)))
    (if (i32.eq (local.get $op) (i32.const 0))
      (then
        (local.set $b (call $tensor (i32.const 1)))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (i32.store
              (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
              (i32.add
                (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                (i32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (return)))
    (if (i32.eq (local.get $op) (i32.const 1))
      (then
        ;; entry 0 is the input vector, entry 1 the weight matrix.
        (local.set $b (call $tensor (i32.const 1)))
        (local.set $m (call $param (i32.const 1)))
        (block $rows_done
          (loop $row
            (br_if $rows_done (i32.ge_u (local.get $j) (local.get $m)))
            (local.set $acc (i32.const 0))
            (local.set $i (i32.const 0))
            (block $cols_done
              (loop $col
                (br_if $cols_done (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $acc
                  (i32.add (local.get $acc)
                    (i32.mul
                      (i32.load (i32.add (local.get $b)
                        (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $i)) (i32.const 2))))
                      (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $col)))
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $row)))
        (return)))
    (if (i32.eq (local.get $op) (i32.const 2))
      (then
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $acc (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
            (i32.store
              (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
              (select (local.get $acc) (i32.const 0) (i32.gt_s (local.get $acc) (i32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (return)))
    unreachable))
