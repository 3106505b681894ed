# cmake -DSRC=<delegates> -DBUILD=<dir> [-DGENERATOR=...] [-DMAKE_PROGRAM=...] [-DCROSS_PREFIX=aarch64-linux-gnu-]
#       -P aarch64-prebuilt.cmake
# Cross-builds libedgeq_cpu.so for aarch64 into BUILD, for the wheel to carry (edgeq lab's Pi). Best effort:
# a cross toolchain that does not work is a warning and no library, never a failed `pip install`.
set(args -S "${SRC}" -B "${BUILD}" "-DCMAKE_TOOLCHAIN_FILE=${SRC}/cmake/aarch64-linux-gnu.cmake"
         -DCMAKE_BUILD_TYPE=Release -DEDGEQ_BUILD_GPU=OFF)
if(GENERATOR)
  list(APPEND args -G "${GENERATOR}")
endif()
if(MAKE_PROGRAM)
  list(APPEND args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CROSS_PREFIX)
  list(APPEND args "-DEDGEQ_CROSS_PREFIX=${CROSS_PREFIX}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BUILD}" --target edgeq_cpu
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
endif()
if(NOT rc EQUAL 0)
  file(REMOVE "${BUILD}/libedgeq_cpu.so")
  file(WRITE "${BUILD}/aarch64-build.log" "${out}")
  message(WARNING "edgeq: cross-building the aarch64 CPU delegate failed (see ${BUILD}/aarch64-build.log): "
                  "the wheel carries none; edgeq lab cross-builds it at start instead")
endif()
