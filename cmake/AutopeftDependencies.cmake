# Finds what the autopeft headers need. Shared by the build tree and the installed package, so a
# consumer's find_package(autopeft) resolves exactly the same dependencies.
macro(autopeft_find_dependencies)
  if(NOT TARGET torch)
    find_package(Torch REQUIRED)
  endif()
  find_package(Boost 1.71 REQUIRED)          # Boost.Hana is header-only: Boost::headers
  find_package(range-v3 REQUIRED)
  find_package(nlohmann_json 3.9 REQUIRED)
  find_package(SQLite3 REQUIRED)             # the study store (autopeft/search/store/study_store.hpp)
  # SentencePiece is optional: only autopeft/data/sentencepiece_tokenizer.hpp needs it. Found by
  # path (not pkg-config) so that an unpacked copy (CMAKE_INCLUDE_PATH / CMAKE_LIBRARY_PATH) works.
  if(NOT TARGET autopeft::sentencepiece)
    find_path(AUTOPEFT_SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h)
    find_library(AUTOPEFT_SENTENCEPIECE_LIBRARY sentencepiece)
    find_library(AUTOPEFT_SENTENCEPIECE_TRAIN_LIBRARY sentencepiece_train)
    if(AUTOPEFT_SENTENCEPIECE_INCLUDE_DIR AND AUTOPEFT_SENTENCEPIECE_LIBRARY
       AND AUTOPEFT_SENTENCEPIECE_TRAIN_LIBRARY)
      add_library(autopeft::sentencepiece INTERFACE IMPORTED)
      set_target_properties(autopeft::sentencepiece PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${AUTOPEFT_SENTENCEPIECE_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES
          "${AUTOPEFT_SENTENCEPIECE_TRAIN_LIBRARY};${AUTOPEFT_SENTENCEPIECE_LIBRARY}")
    endif()
  endif()
endmacro()
