# cmake -P script: install BUILD_DIR into WORK_DIR/prefix, then configure,
# build and run the consumer project in SOURCE_DIR against it.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(required include/hvdb/hvdb.h include/hvdb/hypervector.h lib/cmake/hvdb/hvdbConfig.cmake
                 lib/pkgconfig/hvdb.pc bin/hvdb lib/libhvdb_kernels.a lib/libhvdb_devices.a)
  if(NOT EXISTS ${prefix}/${required})
    message(FATAL_ERROR "install is missing ${required}")
  endif()
endforeach()
# No internal header may leak into the installed tree.
file(GLOB_RECURSE installed_headers RELATIVE ${prefix}/include ${prefix}/include/*)
foreach(h IN LISTS installed_headers)
  if(NOT h MATCHES "^hvdb/[a-z_]+\\.h$")
    message(FATAL_ERROR "unexpected installed header ${h}")
  endif()
endforeach()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
if(NOT last_output MATCHES "consumer ok: hvdb [0-9]+\\.[0-9]+\\.[0-9]+ distance 1")
  message(FATAL_ERROR "unexpected consumer output: ${last_output}")
endif()
message(STATUS "${last_output}")

# The same program built without CMake, from what pkg-config says.
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
run(${PKG_CONFIG} --cflags --libs hvdb)
string(STRIP "${last_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run(${CXX} -std=c++20 ${SOURCE_DIR}/main.cc -o ${WORK_DIR}/pc_consumer ${pc_flags})
run(${WORK_DIR}/pc_consumer)
if(NOT last_output MATCHES "consumer ok: hvdb [0-9]+\\.[0-9]+\\.[0-9]+ distance 1")
  message(FATAL_ERROR "unexpected output of the pkg-config consumer: ${last_output}")
endif()
message(STATUS "pkg-config: ${last_output}")
