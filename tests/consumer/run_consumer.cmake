# Builds tests/consumer against autopeft and runs it. MODE find_package (the default): installs
# autopeft into a scratch prefix (configured with tests and examples off, as the README's recipe
# does), then configures the consumer with find_package(autopeft). MODE add_subdirectory: the
# consumer takes the sources with add_subdirectory.
if(NOT MODE)
  set(MODE find_package)
endif()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}")
  endif()
endfunction()
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/autopeft -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${PREFIX_PATH}
      -DAUTOPEFT_BUILD_TESTS=OFF -DAUTOPEFT_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX=${prefix})
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/autopeft)
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_PREFIX_PATH=${prefix};${PREFIX_PATH}")
elseif(MODE STREQUAL "add_subdirectory")
  # A build type of the consumer's own, which autopeft must not override.
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${PREFIX_PATH} -DAUTOPEFT_SOURCE_DIR=${SOURCE_DIR}
      -DCMAKE_BUILD_TYPE=MinSizeRel -DCONSUMER_BUILD_TYPE=MinSizeRel)
else()
  message(FATAL_ERROR "MODE must be find_package or add_subdirectory, not '${MODE}'")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
