;; Five steps on a memory declared at 65536 pages (4 GiB): a store near the top and one
;; near the bottom. `opml prove` on it must not allocate the 4 GiB.
(module
  (memory (export "memory") 65536)
  (func (export "run")
    (i32.store (i32.const 0xfffffff0) (i32.const 7))
    (i32.store8 (i32.const 3) (i32.const 1))))
