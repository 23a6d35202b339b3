# cmake --install: headers, static libraries, the hvdb program and a package
# config so that consumers write find_package(hvdb) and link hvdb::hvdb.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HVDB_EXPORTED_TARGETS hvdb hvdb_headers hvdb_api hvdb_db hvdb_index hvdb_storage hvdb_hdc hvdb_kernels)
if(HVDB_WITH_CUDA)
  list(APPEND HVDB_EXPORTED_TARGETS hvdb_kernels_cuda)
endif()
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
