;; One `memory.grow 65535` from 1 page to 4 GiB, one store past 2 GiB, the new size.
(module
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (drop (memory.grow (i32.const 65535)))
    (i32.store (i32.const 0x7fff0000) (i32.const 1))
    (memory.size)))
