# cmake --install: headers, static libraries, the hvdb program, a package
# config so that consumers write find_package(hvdb) and link hvdb::hvdb, and
# a pkg-config file (hvdb.pc) for builds without CMake.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HVDB_EXPORTED_TARGETS hvdb hvdb_headers hvdb_api hvdb_db hvdb_index hvdb_storage hvdb_hdc hvdb_devices)
if(HVDB_WITH_CUDA)
  list(APPEND HVDB_EXPORTED_TARGETS hvdb_kernels_cuda)
endif()
list(APPEND HVDB_EXPORTED_TARGETS hvdb_kernels)  # lowest last
foreach(target IN LISTS HVDB_EXPORTED_TARGETS)
  if(NOT target STREQUAL "hvdb")
    string(REGEX REPLACE "^hvdb_" "" export_name ${target})
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  endif()
endforeach()

install(TARGETS ${HVDB_EXPORTED_TARGETS} EXPORT hvdbTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY api/include/hvdb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS hvdb_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(HVDB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hvdb)
install(EXPORT hvdbTargets NAMESPACE hvdb:: DESTINATION ${HVDB_CMAKE_DIR})
configure_package_config_file(cmake/hvdbConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/hvdbConfig.cmake
  INSTALL_DESTINATION ${HVDB_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/hvdbConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hvdbConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/hvdbConfigVersion.cmake
  DESTINATION ${HVDB_CMAKE_DIR})

# hvdb.pc: the room libraries in one link group (they refer to each other)
# and what they need from the system, as this build was configured.
set(HVDB_PC_LIBS "")
foreach(target IN LISTS HVDB_EXPORTED_TARGETS)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    string(APPEND HVDB_PC_LIBS " -l${target}")
  endif()
endforeach()
string(STRIP "${HVDB_PC_LIBS}" HVDB_PC_LIBS)
# The libraries this build found, as found (a static RocksDB or clang's
# OpenMP included), after the room libraries.
set(HVDB_PC_DEPENDENCIES "${HVDB_ROCKSDB_LIBRARY} ${HVDB_FAISS_LIBRARY} ${OpenMP_CXX_FLAGS}")
foreach(library IN LISTS LAPACK_LIBRARIES BLAS_LIBRARIES)
  string(APPEND HVDB_PC_DEPENDENCIES " ${library}")
endforeach()
string(APPEND HVDB_PC_DEPENDENCIES " -lpthread -ldl")
if(HVDB_WITH_CUDA)
  string(PREPEND HVDB_PC_DEPENDENCIES "-L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -lrt ")
endif()
# The prefix from where the .pc file lies, however deep the library
# directory is (lib, lib/x86_64-linux-gnu), so the install can move.
file(RELATIVE_PATH HVDB_PC_PREFIX_FROM_PCDIR "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" HVDB_PC_PREFIX_FROM_PCDIR "${HVDB_PC_PREFIX_FROM_PCDIR}")
configure_file(cmake/hvdb.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hvdb.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hvdb.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
