;; The guest's integer kernels (vm/benches/kernels/src/lib.rs) as LLVM compiles
;; them for wasm32v1-none; regenerate with: bash vm/benches/kernels/build.sh
;; Exports, each fn(reps: i32) -> i32: gemv_i8_run, q4_matmul, q8_matmul.
(module
  (type (;0;) (func (param i32 i32) (result i32)))
  (type (;1;) (func))
  (type (;2;) (func (param i32 i32 i32)))
  (type (;3;) (func (param i64 i32) (result i64)))
  (type (;4;) (func (param i32) (result i32)))
  (type (;5;) (func (param i32 i32 i32) (result i32)))
  (func (;0;) (type 0) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    global.get 0
    i32.const 256
    i32.sub
    local.tee 2
    global.set 0
    call 1
    local.get 2
    i32.const 16
    i32.store
    local.get 2
    local.set 3
    local.get 2
    i32.load
    local.set 4
    local.get 2
    i32.const 18
    i32.store
    local.get 4
    local.get 2
    i32.load
    local.tee 3
    i32.mul
    local.set 5
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          block  ;; label = @4
            block  ;; label = @5
              block  ;; label = @6
                local.get 1
                i32.const 255
                i32.and
                i32.const 2
                i32.ne
                br_if 0 (;@6;)
                local.get 5
                i32.const 34
                i32.mul
                local.tee 6
                i32.const 9793
                i32.ge_u
                br_if 4 (;@2;)
                i32.const 1066880
                local.set 7
                br 1 (;@5;)
              end
              local.get 5
              i32.const 20
              i32.mul
              local.tee 6
              i32.const 5761
              i32.ge_u
              br_if 1 (;@4;)
              i32.const 1061120
              local.set 7
            end
            block  ;; label = @5
              block  ;; label = @6
                block  ;; label = @7
                  local.get 0
                  i32.const 1
                  i32.ge_s
                  br_if 0 (;@7;)
                  i32.const 0
                  local.set 8
                  br 1 (;@6;)
                end
                local.get 3
                i32.const 58
                i32.mul
                local.tee 5
                i32.const 1
                i32.or
                local.set 9
                local.get 5
                i32.const 1045
                i32.gt_u
                br_if 3 (;@3;)
                local.get 4
                i32.const 16
                i32.gt_u
                br_if 1 (;@5;)
                i32.const 34
                i32.const 20
                local.get 1
                i32.const 255
                i32.and
                i32.const 2
                i32.eq
                local.tee 10
                select
                local.tee 11
                local.get 5
                i32.const 58
                i32.div_u
                local.tee 12
                i32.mul
                local.tee 13
                i32.const 5
                i32.shl
                local.tee 14
                local.get 6
                local.get 14
                local.get 6
                i32.lt_u
                select
                local.set 15
                local.get 4
                i32.const 1
                local.get 4
                i32.const 1
                i32.gt_u
                select
                local.set 16
                local.get 4
                i32.const 2
                i32.shl
                local.set 17
                local.get 4
                i32.const 31
                i32.add
                i32.const 5
                i32.shr_u
                local.set 18
                local.get 12
                i32.const 58
                i32.mul
                local.tee 19
                i32.const -58
                i32.add
                i32.const 58
                i32.div_u
                local.set 20
                local.get 3
                i32.const 2147483647
                i32.and
                local.get 12
                i32.ne
                local.set 21
                local.get 6
                local.get 13
                local.get 4
                i32.mul
                i32.ne
                local.set 22
                local.get 19
                i32.const 57
                i32.gt_u
                local.set 23
                i32.const 0
                local.set 8
                i32.const 0
                local.set 24
                loop  ;; label = @7
                  i32.const 0
                  local.get 24
                  i32.const 7
                  i32.and
                  local.tee 3
                  i32.store offset=1077520
                  block  ;; label = @8
                    local.get 21
                    i32.eqz
                    br_if 0 (;@8;)
                    i32.const -1
                    local.set 8
                    br 2 (;@6;)
                  end
                  block  ;; label = @8
                    local.get 22
                    i32.eqz
                    br_if 0 (;@8;)
                    i32.const -1
                    local.set 8
                    br 2 (;@6;)
                  end
                  block  ;; label = @8
                    block  ;; label = @9
                      local.get 9
                      i32.const 58
                      i32.gt_u
                      br_if 0 (;@9;)
                      i32.const 1076672
                      i32.const 0
                      local.get 17
                      call 8
                      drop
                      br 1 (;@8;)
                    end
                    i32.const 12
                    local.get 3
                    i32.sub
                    local.set 25
                    block  ;; label = @9
                      local.get 10
                      br_if 0 (;@9;)
                      local.get 6
                      i32.eqz
                      br_if 1 (;@8;)
                      local.get 6
                      local.get 14
                      i32.div_u
                      local.get 6
                      local.get 14
                      i32.rem_u
                      i32.const 0
                      i32.ne
                      i32.add
                      local.tee 3
                      local.get 18
                      local.get 3
                      local.get 18
                      i32.lt_u
                      select
                      i32.eqz
                      br_if 1 (;@8;)
                      local.get 2
                      i32.const 0
                      i32.const 256
                      call 8
                      local.set 26
                      block  ;; label = @10
                        block  ;; label = @11
                          local.get 19
                          i32.const 58
                          i32.lt_u
                          br_if 0 (;@11;)
                          local.get 15
                          local.get 13
                          i32.div_u
                          local.set 3
                          local.get 13
                          local.get 15
                          i32.gt_u
                          br_if 0 (;@11;)
                          local.get 3
                          i32.const 32
                          local.get 3
                          i32.const 32
                          i32.lt_u
                          select
                          local.set 27
                          i32.const 1077524
                          local.set 3
                          i32.const 0
                          local.set 28
                          local.get 7
                          local.set 29
                          loop  ;; label = @12
                            local.get 28
                            i32.const 1
                            i32.add
                            local.set 30
                            local.get 28
                            local.get 12
                            i32.eq
                            br_if 2 (;@10;)
                            local.get 3
                            i32.const 232
                            i32.add
                            local.set 31
                            local.get 3
                            i64.load32_s
                            local.set 32
                            local.get 3
                            i64.load offset=96 align=4
                            local.set 33
                            local.get 3
                            i64.load offset=88 align=4
                            local.set 34
                            local.get 3
                            i64.load offset=80 align=4
                            local.set 35
                            local.get 3
                            i64.load offset=72 align=4
                            local.set 36
                            local.get 3
                            i64.load offset=64 align=4
                            local.set 37
                            local.get 3
                            i64.load offset=56 align=4
                            local.set 38
                            local.get 3
                            i64.load offset=48 align=4
                            local.set 39
                            local.get 3
                            i64.load offset=40 align=4
                            local.set 40
                            local.get 3
                            i64.load32_s offset=4
                            local.set 41
                            i32.const 0
                            local.set 5
                            local.get 26
                            local.set 1
                            local.get 29
                            local.set 3
                            loop  ;; label = @13
                              local.get 1
                              local.get 3
                              i32.const 12
                              i32.add
                              i64.load align=1
                              local.tee 42
                              i64.const 4222189076152335
                              i64.and
                              local.get 36
                              i64.mul
                              local.get 42
                              i64.const 4
                              i64.shr_u
                              i64.const 4222189076152335
                              i64.and
                              local.get 35
                              i64.mul
                              i64.add
                              local.get 42
                              i64.const 8
                              i64.shr_u
                              i64.const 4222189076152335
                              i64.and
                              local.get 34
                              i64.mul
                              i64.add
                              local.get 42
                              i64.const 12
                              i64.shr_u
                              i64.const 4222189076152335
                              i64.and
                              local.get 33
                              i64.mul
                              i64.add
                              i64.const 140737488355328
                              i64.add
                              i64.const 48
                              i64.shr_s
                              local.get 3
                              i32.const 4
                              i32.add
                              i64.load align=1
                              local.tee 42
                              i64.const 4222189076152335
                              i64.and
                              local.get 40
                              i64.mul
                              local.get 42
                              i64.const 4
                              i64.shr_u
                              i64.const 4222189076152335
                              i64.and
                              local.get 39
                              i64.mul
                              i64.add
                              local.get 42
                              i64.const 8
                              i64.shr_u
                              i64.const 4222189076152335
                              i64.and
                              local.get 38
                              i64.mul
                              i64.add
                              local.get 42
                              i64.const 12
                              i64.shr_u
                              i64.const 4222189076152335
                              i64.and
                              local.get 37
                              i64.mul
                              i64.add
                              i64.const 140737488355328
                              i64.add
                              i64.const 48
                              i64.shr_s
                              i64.add
                              local.get 3
                              i64.load16_s align=1
                              i64.mul
                              local.get 3
                              i32.const 2
                              i32.add
                              i64.load16_s align=1
                              local.get 41
                              i64.mul
                              i64.add
                              local.get 32
                              i64.mul
                              local.get 1
                              i64.load
                              i64.add
                              i64.store
                              local.get 1
                              i32.const 8
                              i32.add
                              local.set 1
                              local.get 3
                              local.get 13
                              i32.add
                              local.set 3
                              local.get 5
                              i32.const 1
                              i32.add
                              local.tee 5
                              local.get 27
                              i32.lt_u
                              br_if 0 (;@13;)
                            end
                            local.get 29
                            local.get 11
                            i32.add
                            local.set 29
                            local.get 28
                            local.get 20
                            i32.eq
                            local.set 1
                            local.get 30
                            local.set 28
                            local.get 31
                            local.set 3
                            local.get 1
                            i32.eqz
                            br_if 0 (;@12;)
                          end
                        end
                        local.get 4
                        i32.eqz
                        br_if 2 (;@8;)
                        i64.const 127
                        local.get 25
                        i64.extend_i32_u
                        i64.shl
                        local.tee 32
                        local.get 32
                        i64.const 1
                        i64.shr_u
                        i64.sub
                        local.set 35
                        local.get 26
                        local.set 3
                        i32.const 1076672
                        local.set 1
                        local.get 16
                        local.set 5
                        loop  ;; label = @11
                          local.get 1
                          i64.const 0
                          local.get 3
                          i64.load
                          local.tee 42
                          local.get 42
                          i64.const 63
                          i64.shr_s
                          local.tee 33
                          i64.xor
                          local.get 33
                          i64.sub
                          local.tee 33
                          local.get 32
                          i64.div_u
                          local.tee 34
                          local.get 33
                          local.get 34
                          local.get 32
                          i64.mul
                          i64.sub
                          local.get 35
                          i64.ge_u
                          i64.extend_i32_u
                          i64.add
                          local.tee 33
                          i64.sub
                          local.get 33
                          local.get 42
                          i64.const 0
                          i64.lt_s
                          select
                          local.tee 42
                          i64.const -2147483648
                          local.get 42
                          i64.const -2147483648
                          i64.gt_s
                          select
                          local.tee 42
                          i64.const 2147483647
                          local.get 42
                          i64.const 2147483647
                          i64.lt_s
                          select
                          i64.store32
                          local.get 1
                          i32.const 4
                          i32.add
                          local.set 1
                          local.get 3
                          i32.const 8
                          i32.add
                          local.set 3
                          local.get 5
                          i32.const -1
                          i32.add
                          local.tee 5
                          br_if 0 (;@11;)
                          br 3 (;@8;)
                        end
                      end
                      local.get 28
                      local.get 11
                      i32.mul
                      local.get 30
                      local.get 11
                      i32.mul
                      local.get 13
                      call 2
                      unreachable
                    end
                    local.get 6
                    i32.eqz
                    br_if 0 (;@8;)
                    local.get 6
                    local.get 14
                    i32.div_u
                    local.tee 3
                    local.get 6
                    local.get 3
                    local.get 14
                    i32.mul
                    i32.sub
                    i32.const 0
                    i32.ne
                    i32.add
                    local.tee 3
                    local.get 18
                    local.get 3
                    local.get 18
                    i32.lt_u
                    select
                    i32.eqz
                    br_if 0 (;@8;)
                    block  ;; label = @9
                      local.get 23
                      br_if 0 (;@9;)
                      local.get 2
                      i32.const 0
                      i32.const 256
                      call 8
                      local.set 3
                      local.get 4
                      i32.eqz
                      br_if 1 (;@8;)
                      i64.const 127
                      local.get 25
                      i64.extend_i32_u
                      i64.shl
                      local.tee 32
                      local.get 32
                      i64.const 1
                      i64.shr_u
                      i64.sub
                      local.set 35
                      local.get 3
                      local.set 3
                      i32.const 1076672
                      local.set 1
                      local.get 16
                      local.set 5
                      loop  ;; label = @10
                        local.get 1
                        i64.const 0
                        local.get 3
                        i64.load
                        local.tee 42
                        local.get 42
                        i64.const 63
                        i64.shr_s
                        local.tee 33
                        i64.xor
                        local.get 33
                        i64.sub
                        local.tee 33
                        local.get 32
                        i64.div_u
                        local.tee 34
                        local.get 33
                        local.get 34
                        local.get 32
                        i64.mul
                        i64.sub
                        local.get 35
                        i64.ge_u
                        i64.extend_i32_u
                        i64.add
                        local.tee 33
                        i64.sub
                        local.get 33
                        local.get 42
                        i64.const 0
                        i64.lt_s
                        select
                        local.tee 42
                        i64.const -2147483648
                        local.get 42
                        i64.const -2147483648
                        i64.gt_s
                        select
                        local.tee 42
                        i64.const 2147483647
                        local.get 42
                        i64.const 2147483647
                        i64.lt_s
                        select
                        i64.store32
                        local.get 1
                        i32.const 4
                        i32.add
                        local.set 1
                        local.get 3
                        i32.const 8
                        i32.add
                        local.set 3
                        local.get 5
                        i32.const -1
                        i32.add
                        local.tee 5
                        br_if 0 (;@10;)
                        br 2 (;@8;)
                      end
                    end
                    local.get 2
                    i32.const 0
                    i32.const 256
                    call 8
                    local.set 26
                    local.get 15
                    local.get 13
                    i32.div_u
                    local.set 3
                    block  ;; label = @9
                      local.get 13
                      local.get 15
                      i32.gt_u
                      br_if 0 (;@9;)
                      local.get 3
                      i32.const 32
                      local.get 3
                      i32.const 32
                      i32.lt_u
                      select
                      local.set 27
                      i32.const 1077524
                      local.set 3
                      i32.const 0
                      local.set 28
                      local.get 7
                      local.set 29
                      loop  ;; label = @10
                        local.get 28
                        i32.const 1
                        i32.add
                        local.set 30
                        local.get 28
                        local.get 12
                        i32.eq
                        br_if 9 (;@1;)
                        local.get 3
                        i32.const 232
                        i32.add
                        local.set 31
                        local.get 3
                        i64.load32_s
                        local.set 32
                        local.get 3
                        i64.load offset=224 align=4
                        local.set 33
                        local.get 3
                        i64.load offset=216 align=4
                        local.set 34
                        local.get 3
                        i64.load offset=208 align=4
                        local.set 35
                        local.get 3
                        i64.load offset=200 align=4
                        local.set 36
                        local.get 3
                        i64.load offset=192 align=4
                        local.set 37
                        local.get 3
                        i64.load offset=184 align=4
                        local.set 38
                        local.get 3
                        i64.load offset=176 align=4
                        local.set 39
                        local.get 3
                        i64.load offset=168 align=4
                        local.set 40
                        local.get 3
                        i64.load offset=160 align=4
                        local.set 41
                        local.get 3
                        i64.load offset=152 align=4
                        local.set 43
                        local.get 3
                        i64.load offset=144 align=4
                        local.set 44
                        local.get 3
                        i64.load offset=136 align=4
                        local.set 45
                        local.get 3
                        i64.load offset=128 align=4
                        local.set 46
                        local.get 3
                        i64.load offset=120 align=4
                        local.set 47
                        local.get 3
                        i64.load offset=112 align=4
                        local.set 48
                        local.get 3
                        i64.load offset=104 align=4
                        local.set 49
                        i32.const 0
                        local.set 5
                        i32.const 0
                        local.get 3
                        i32.load offset=4
                        i32.sub
                        i64.extend_i32_u
                        i64.const 39
                        i64.shl
                        i64.const 2147483648
                        i64.or
                        local.set 50
                        local.get 26
                        local.set 1
                        local.get 29
                        local.set 3
                        loop  ;; label = @11
                          local.get 1
                          local.get 3
                          i64.load16_s align=1
                          local.get 32
                          i64.mul
                          local.get 50
                          local.get 3
                          i32.const 2
                          i32.add
                          i64.load align=1
                          i64.const -9187201950435737472
                          i64.xor
                          local.tee 42
                          i64.const 1095216660735
                          i64.and
                          local.get 49
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 8
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 48
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 16
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 47
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 24
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 46
                          i64.mul
                          i64.add
                          local.get 3
                          i32.const 10
                          i32.add
                          i64.load align=1
                          i64.const -9187201950435737472
                          i64.xor
                          local.tee 42
                          i64.const 1095216660735
                          i64.and
                          local.get 45
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 8
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 44
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 16
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 43
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 24
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 41
                          i64.mul
                          i64.add
                          local.get 3
                          i32.const 18
                          i32.add
                          i64.load align=1
                          i64.const -9187201950435737472
                          i64.xor
                          local.tee 42
                          i64.const 1095216660735
                          i64.and
                          local.get 40
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 8
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 39
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 16
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 38
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 24
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 37
                          i64.mul
                          i64.add
                          local.get 3
                          i32.const 26
                          i32.add
                          i64.load align=1
                          i64.const -9187201950435737472
                          i64.xor
                          local.tee 42
                          i64.const 1095216660735
                          i64.and
                          local.get 36
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 8
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 35
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 16
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 34
                          i64.mul
                          i64.add
                          local.get 42
                          i64.const 24
                          i64.shr_u
                          i64.const 1095216660735
                          i64.and
                          local.get 33
                          i64.mul
                          i64.add
                          i64.const 32
                          i64.shr_s
                          i64.mul
                          local.get 1
                          i64.load
                          i64.add
                          i64.store
                          local.get 1
                          i32.const 8
                          i32.add
                          local.set 1
                          local.get 3
                          local.get 13
                          i32.add
                          local.set 3
                          local.get 5
                          i32.const 1
                          i32.add
                          local.tee 5
                          local.get 27
                          i32.lt_u
                          br_if 0 (;@11;)
                        end
                        local.get 29
                        local.get 11
                        i32.add
                        local.set 29
                        local.get 28
                        local.get 20
                        i32.ne
                        local.set 1
                        local.get 30
                        local.set 28
                        local.get 31
                        local.set 3
                        local.get 1
                        br_if 0 (;@10;)
                      end
                    end
                    local.get 4
                    i32.eqz
                    br_if 0 (;@8;)
                    local.get 26
                    local.set 3
                    i32.const 1076672
                    local.set 1
                    local.get 16
                    local.set 5
                    loop  ;; label = @9
                      local.get 1
                      local.get 3
                      i64.load
                      local.get 25
                      call 3
                      local.tee 42
                      i64.const -2147483648
                      local.get 42
                      i64.const -2147483648
                      i64.gt_s
                      select
                      local.tee 42
                      i64.const 2147483647
                      local.get 42
                      i64.const 2147483647
                      i64.lt_s
                      select
                      i64.store32
                      local.get 1
                      i32.const 4
                      i32.add
                      local.set 1
                      local.get 3
                      i32.const 8
                      i32.add
                      local.set 3
                      local.get 5
                      i32.const -1
                      i32.add
                      local.tee 5
                      br_if 0 (;@9;)
                    end
                  end
                  i32.const 0
                  i32.load offset=1076732
                  local.get 8
                  i32.xor
                  i32.const 0
                  i32.load offset=1076672
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076676
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076680
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076684
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076688
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076692
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076696
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076700
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076704
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076708
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076712
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076716
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076720
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076724
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.const 0
                  i32.load offset=1076728
                  i32.xor
                  i32.const 5
                  i32.rotl
                  i32.xor
                  local.set 8
                  local.get 24
                  i32.const 1
                  i32.add
                  local.tee 24
                  local.get 0
                  i32.ne
                  br_if 0 (;@7;)
                end
              end
              local.get 2
              i32.const 256
              i32.add
              global.set 0
              local.get 8
              return
            end
            i32.const 0
            i32.const 0
            i32.store offset=1077520
            i32.const 0
            local.get 4
            i32.const 16
            call 2
            unreachable
          end
          i32.const 0
          local.get 6
          i32.const 5760
          call 2
          unreachable
        end
        i32.const 0
        i32.const 0
        i32.store offset=1077520
        i32.const 0
        local.get 9
        i32.const 1045
        call 2
        unreachable
      end
      i32.const 0
      local.get 6
      i32.const 9792
      call 2
      unreachable
    end
    local.get 28
    local.get 11
    i32.mul
    local.get 30
    local.get 11
    i32.mul
    local.get 13
    call 2
    unreachable)
  (func (;1;) (type 1)
    (local i32 i32 i32 i32)
    global.get 0
    i32.const 4192
    i32.sub
    local.tee 0
    global.set 0
    i32.const 1
    local.set 1
    i32.const -12544
    local.set 2
    loop  ;; label = @1
      local.get 2
      i32.const 1061120
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 1061121
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 2
      i32.add
      local.tee 2
      br_if 0 (;@1;)
    end
    i32.const 1076736
    local.set 2
    i32.const 3
    local.set 1
    loop  ;; label = @1
      local.get 2
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 1
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 2
      i32.add
      local.tee 2
      i32.const 1077520
      i32.ne
      br_if 0 (;@1;)
    end
    i32.const 1061120
    local.set 2
    i32.const 3
    local.set 1
    loop  ;; label = @1
      local.get 2
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 1
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 2
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 3
      i32.add
      local.tee 2
      i32.const 1066880
      i32.ne
      br_if 0 (;@1;)
    end
    i32.const 1066880
    local.set 2
    i32.const 5
    local.set 1
    loop  ;; label = @1
      local.get 2
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 1
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 2
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 3
      i32.add
      local.tee 2
      i32.const 1076672
      i32.ne
      br_if 0 (;@1;)
    end
    i32.const 0
    local.set 2
    local.get 0
    i32.const 12
    i32.add
    i32.const 0
    i32.const 4180
    call 8
    drop
    i32.const 5
    local.set 1
    loop  ;; label = @1
      local.get 0
      i32.const 12
      i32.add
      local.get 2
      i32.add
      local.tee 3
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 3
      i32.const 1
      i32.add
      local.get 1
      i32.const 13
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 17
      i32.shr_u
      local.get 1
      i32.xor
      local.tee 1
      i32.const 5
      i32.shl
      local.get 1
      i32.xor
      local.tee 1
      i32.const 24
      i32.shr_u
      i32.store8
      local.get 2
      i32.const 2
      i32.add
      local.tee 2
      i32.const 4180
      i32.ne
      br_if 0 (;@1;)
    end
    i32.const -4176
    local.set 2
    block  ;; label = @1
      loop  ;; label = @2
        local.get 2
        i32.const 1081696
        i32.add
        local.get 0
        i32.const 12
        i32.add
        local.get 2
        i32.add
        local.tee 1
        i32.const 4178
        i32.add
        i32.load8_u
        i32.const 16
        i32.shl
        local.get 1
        i32.const 4177
        i32.add
        i32.load8_u
        i32.const 8
        i32.shl
        i32.or
        local.get 1
        i32.const 4179
        i32.add
        i32.load8_u
        i32.const 24
        i32.shl
        i32.or
        i32.const 12
        i32.shr_s
        i32.store
        local.get 2
        i32.eqz
        br_if 1 (;@1;)
        local.get 2
        i32.const 1081700
        i32.add
        local.get 1
        i32.const 4182
        i32.add
        i32.load8_u
        i32.const 16
        i32.shl
        local.get 1
        i32.const 4181
        i32.add
        i32.load8_u
        i32.const 8
        i32.shl
        i32.or
        local.get 1
        i32.const 4183
        i32.add
        i32.load8_u
        i32.const 24
        i32.shl
        i32.or
        i32.const 12
        i32.shr_s
        i32.store
        local.get 2
        i32.const 8
        i32.add
        local.set 2
        br 0 (;@2;)
      end
    end
    i32.const 0
    i32.const 3
    i32.store offset=1077520
    local.get 0
    i32.const 4192
    i32.add
    global.set 0)
  (func (;2;) (type 2) (param i32 i32 i32)
    call 7
    unreachable)
  (func (;3;) (type 3) (param i64 i32) (result i64)
    (local i64 i64 i64 i32)
    block  ;; label = @1
      block  ;; label = @2
        local.get 1
        i32.const 1
        i32.lt_s
        br_if 0 (;@2;)
        local.get 1
        i32.const 56
        i32.ge_u
        br_if 1 (;@1;)
        i64.const 0
        local.get 0
        local.get 0
        i64.const 63
        i64.shr_s
        local.tee 2
        i64.xor
        local.get 2
        i64.sub
        local.tee 3
        i64.const 127
        local.get 1
        i64.extend_i32_u
        i64.shl
        local.tee 2
        i64.div_u
        local.tee 4
        local.get 3
        local.get 4
        local.get 2
        i64.mul
        i64.sub
        local.get 2
        local.get 2
        i64.const 1
        i64.shr_u
        i64.sub
        i64.ge_u
        i64.extend_i32_u
        i64.add
        local.tee 2
        i64.sub
        local.get 2
        local.get 0
        i64.const 0
        i64.lt_s
        select
        return
      end
      block  ;; label = @2
        block  ;; label = @3
          i32.const 0
          local.get 1
          i32.sub
          local.tee 5
          i32.const -1
          i32.gt_s
          br_if 0 (;@3;)
          i64.const 1
          local.get 1
          i32.const 62
          local.get 1
          i32.const 62
          i32.lt_u
          select
          local.tee 1
          i32.const -1
          i32.add
          i64.extend_i32_u
          i64.shl
          local.set 2
          block  ;; label = @4
            local.get 0
            i64.const -1
            i64.gt_s
            br_if 0 (;@4;)
            i64.const -1
            i64.const 0
            i64.const -1
            local.get 1
            i64.extend_i32_u
            local.tee 3
            i64.shl
            i64.const -1
            i64.xor
            i64.const 0
            local.get 0
            i64.sub
            local.tee 0
            i64.and
            local.get 2
            i64.ge_u
            select
            local.get 0
            local.get 3
            i64.shr_u
            i64.sub
            local.set 2
            br 2 (;@2;)
          end
          local.get 0
          local.get 1
          i64.extend_i32_u
          local.tee 3
          i64.shr_u
          local.get 0
          i64.const -1
          local.get 3
          i64.shl
          i64.const -1
          i64.xor
          i64.and
          local.get 2
          i64.ge_s
          i64.extend_i32_u
          i64.add
          local.set 2
          br 1 (;@2;)
        end
        block  ;; label = @3
          local.get 0
          i64.eqz
          i32.eqz
          br_if 0 (;@3;)
          i64.const 0
          local.set 2
          br 1 (;@2;)
        end
        i64.const 9223372036854775807
        local.set 2
        local.get 0
        i64.const 9223372036854775807
        local.get 5
        i32.const 63
        local.get 5
        i32.const 63
        i32.lt_u
        select
        i64.extend_i32_u
        local.tee 3
        i64.shr_u
        local.tee 4
        i64.gt_s
        br_if 0 (;@2;)
        i64.const -9223372036854775808
        local.get 0
        local.get 3
        i64.shl
        local.get 0
        i64.const 0
        local.get 4
        i64.sub
        i64.lt_s
        select
        local.set 2
      end
      i64.const 0
      local.get 2
      local.get 2
      i64.const 63
      i64.shr_s
      local.tee 0
      i64.xor
      local.get 0
      i64.sub
      local.tee 0
      i64.const 127
      i64.div_u
      local.tee 3
      local.get 0
      local.get 3
      i64.const 127
      i64.mul
      i64.sub
      i64.const 63
      i64.gt_u
      i64.extend_i32_u
      i64.add
      local.tee 0
      i64.sub
      local.get 0
      local.get 2
      i64.const 0
      i64.lt_s
      select
      return
    end
    i64.const 1
    local.get 1
    i32.const 62
    local.get 1
    i32.const 62
    i32.lt_u
    select
    local.tee 1
    i32.const -1
    i32.add
    i64.extend_i32_u
    i64.shl
    local.set 2
    block  ;; label = @1
      i64.const 0
      local.get 0
      local.get 0
      i64.const 63
      i64.shr_s
      local.tee 3
      i64.xor
      local.get 3
      i64.sub
      local.tee 3
      i64.const 127
      i64.div_u
      local.tee 4
      local.get 3
      local.get 4
      i64.const 127
      i64.mul
      i64.sub
      i64.const 63
      i64.gt_u
      i64.extend_i32_u
      i64.add
      local.tee 3
      i64.sub
      local.get 3
      local.get 0
      i64.const 0
      i64.lt_s
      select
      local.tee 0
      i64.const -1
      i64.gt_s
      br_if 0 (;@1;)
      i64.const -1
      i64.const 0
      i64.const 0
      local.get 0
      i64.sub
      local.tee 0
      i64.const -1
      local.get 1
      i64.extend_i32_u
      local.tee 3
      i64.shl
      i64.const -1
      i64.xor
      i64.and
      local.get 2
      i64.ge_u
      select
      local.get 0
      local.get 3
      i64.shr_u
      i64.sub
      return
    end
    local.get 0
    local.get 1
    i64.extend_i32_u
    local.tee 3
    i64.shr_u
    local.get 0
    i64.const -1
    local.get 3
    i64.shl
    i64.const -1
    i64.xor
    i64.and
    local.get 2
    i64.ge_s
    i64.extend_i32_u
    i64.add)
  (func (;4;) (type 4) (param i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 0
    i32.const 16
    i32.sub
    local.tee 1
    global.set 0
    call 1
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          block  ;; label = @4
            block  ;; label = @5
              local.get 0
              i32.const 1
              i32.ge_s
              br_if 0 (;@5;)
              i32.const 0
              local.set 2
              br 1 (;@4;)
            end
            i32.const 0
            local.set 2
            i32.const 0
            local.set 3
            loop  ;; label = @5
              local.get 3
              i32.const 784
              i32.rem_u
              local.get 3
              i32.store8 offset=1076736
              local.get 1
              i32.const 16
              i32.store offset=8
              local.get 1
              i32.const 8
              i32.add
              local.set 4
              local.get 1
              i32.load offset=8
              local.set 4
              local.get 1
              i32.const 784
              i32.store offset=12
              local.get 1
              i32.const 12
              i32.add
              local.set 5
              local.get 4
              local.get 1
              i32.load offset=12
              local.tee 6
              i32.mul
              local.tee 5
              i32.const 12545
              i32.ge_u
              br_if 2 (;@3;)
              local.get 6
              i32.const 785
              i32.ge_u
              br_if 3 (;@2;)
              local.get 4
              i32.const 17
              i32.ge_u
              br_if 4 (;@1;)
              block  ;; label = @6
                block  ;; label = @7
                  local.get 6
                  br_if 0 (;@7;)
                  i32.const 1076672
                  i32.const 0
                  local.get 4
                  i32.const 2
                  i32.shl
                  call 8
                  drop
                  br 1 (;@6;)
                end
                local.get 5
                local.get 6
                i32.div_u
                local.tee 5
                local.get 4
                local.get 5
                local.get 4
                i32.lt_u
                select
                local.tee 7
                i32.eqz
                br_if 0 (;@6;)
                local.get 6
                i32.const 1020
                i32.and
                local.set 8
                local.get 6
                i32.const 3
                i32.and
                local.set 9
                i32.const 0
                local.set 10
                i32.const 1048576
                local.set 11
                local.get 6
                i32.const 4
                i32.lt_u
                local.set 12
                loop  ;; label = @7
                  i32.const 0
                  local.set 5
                  i32.const 0
                  local.set 4
                  block  ;; label = @8
                    block  ;; label = @9
                      local.get 12
                      br_if 0 (;@9;)
                      i32.const 0
                      local.set 5
                      i32.const 0
                      local.set 4
                      loop  ;; label = @10
                        local.get 4
                        i32.const 1076739
                        i32.add
                        i32.load8_s
                        local.get 11
                        local.get 4
                        i32.add
                        local.tee 13
                        i32.const 3
                        i32.add
                        i32.load8_s
                        i32.mul
                        local.get 4
                        i32.const 1076738
                        i32.add
                        i32.load8_s
                        local.get 13
                        i32.const 2
                        i32.add
                        i32.load8_s
                        i32.mul
                        local.get 4
                        i32.const 1076737
                        i32.add
                        i32.load8_s
                        local.get 13
                        i32.const 1
                        i32.add
                        i32.load8_s
                        i32.mul
                        local.get 4
                        i32.const 1076736
                        i32.add
                        i32.load8_s
                        local.get 13
                        i32.load8_s
                        i32.mul
                        local.get 5
                        i32.add
                        i32.add
                        i32.add
                        i32.add
                        local.set 5
                        local.get 8
                        local.get 4
                        i32.const 4
                        i32.add
                        local.tee 4
                        i32.ne
                        br_if 0 (;@10;)
                      end
                      local.get 9
                      i32.eqz
                      br_if 1 (;@8;)
                    end
                    local.get 9
                    local.set 13
                    loop  ;; label = @9
                      local.get 4
                      i32.const 1076736
                      i32.add
                      i32.load8_s
                      local.get 11
                      local.get 4
                      i32.add
                      i32.load8_s
                      i32.mul
                      local.get 5
                      i32.add
                      local.set 5
                      local.get 4
                      i32.const 1
                      i32.add
                      local.set 4
                      local.get 13
                      i32.const -1
                      i32.add
                      local.tee 13
                      br_if 0 (;@9;)
                    end
                  end
                  local.get 10
                  i32.const 2
                  i32.shl
                  local.get 5
                  i32.store offset=1076672
                  local.get 11
                  local.get 6
                  i32.add
                  local.set 11
                  local.get 10
                  i32.const 1
                  i32.add
                  local.tee 10
                  local.get 7
                  i32.lt_u
                  br_if 0 (;@7;)
                end
              end
              i32.const 0
              i32.load offset=1076732
              local.get 2
              i32.xor
              i32.const 0
              i32.load offset=1076672
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076676
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076680
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076684
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076688
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076692
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076696
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076700
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076704
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076708
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076712
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076716
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076720
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076724
              i32.xor
              i32.const 5
              i32.rotl
              i32.const 0
              i32.load offset=1076728
              i32.xor
              i32.const 5
              i32.rotl
              i32.xor
              local.set 2
              local.get 3
              i32.const 1
              i32.add
              local.tee 3
              local.get 0
              i32.ne
              br_if 0 (;@5;)
            end
          end
          local.get 1
          i32.const 16
          i32.add
          global.set 0
          local.get 2
          return
        end
        i32.const 0
        local.get 5
        i32.const 12544
        call 2
        unreachable
      end
      i32.const 0
      local.get 6
      i32.const 784
      call 2
      unreachable
    end
    i32.const 0
    local.get 4
    i32.const 16
    call 2
    unreachable)
  (func (;5;) (type 4) (param i32) (result i32)
    local.get 0
    i32.const 1
    call 0)
  (func (;6;) (type 4) (param i32) (result i32)
    local.get 0
    i32.const 2
    call 0)
  (func (;7;) (type 1)
    unreachable)
  (func (;8;) (type 5) (param i32 i32 i32) (result i32)
    (local i32 i32 i32 i32)
    block  ;; label = @1
      block  ;; label = @2
        local.get 2
        i32.const 16
        i32.ge_u
        br_if 0 (;@2;)
        local.get 0
        local.set 3
        br 1 (;@1;)
      end
      block  ;; label = @2
        local.get 0
        local.get 0
        i32.const 0
        local.get 0
        i32.sub
        i32.const 3
        i32.and
        local.tee 4
        i32.add
        local.tee 5
        i32.ge_u
        br_if 0 (;@2;)
        local.get 4
        local.set 6
        local.get 0
        local.set 3
        loop  ;; label = @3
          local.get 3
          local.get 1
          i32.store8
          local.get 3
          i32.const 1
          i32.add
          local.set 3
          local.get 6
          i32.const -1
          i32.add
          local.tee 6
          br_if 0 (;@3;)
        end
      end
      block  ;; label = @2
        local.get 5
        local.get 5
        local.get 2
        local.get 4
        i32.sub
        local.tee 6
        i32.const -4
        i32.and
        i32.add
        local.tee 3
        i32.ge_u
        br_if 0 (;@2;)
        local.get 1
        i32.const 255
        i32.and
        i32.const 16843009
        i32.mul
        local.set 2
        loop  ;; label = @3
          local.get 5
          local.get 2
          i32.store
          local.get 5
          i32.const 4
          i32.add
          local.tee 5
          local.get 3
          i32.lt_u
          br_if 0 (;@3;)
        end
      end
      local.get 6
      i32.const 3
      i32.and
      local.set 2
    end
    block  ;; label = @1
      local.get 3
      local.get 3
      local.get 2
      i32.add
      i32.ge_u
      br_if 0 (;@1;)
      loop  ;; label = @2
        local.get 3
        local.get 1
        i32.store8
        local.get 3
        i32.const 1
        i32.add
        local.set 3
        local.get 2
        i32.const -1
        i32.add
        local.tee 2
        br_if 0 (;@2;)
      end
    end
    local.get 0)
  (memory (;0;) 17)
  (global (;0;) (mut i32) (i32.const 1048576))
  (global (;1;) i32 (i32.const 1081700))
  (global (;2;) i32 (i32.const 1081712))
  (export "memory" (memory 0))
  (export "gemv_i8_run" (func 4))
  (export "q4_matmul" (func 5))
  (export "q8_matmul" (func 6))
  (export "__data_end" (global 1))
  (export "__heap_base" (global 2)))
