// Board identification against fake device trees.

#include "edgetwin/hw/board_id.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace {

class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() /
        ("edgetwin_board_id_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "proc/device-tree");
    fs::create_directories(root_ / "etc");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& content) {
    std::ofstream(root_ / rel, std::ios::binary) << content;
  }
  fs::path root_;
};

TEST_F(FakeRoot, AgxOrinFromDtsFilename) {
  // Device-tree strings end with a NUL byte on a real board.
  write("proc/device-tree/nvidia,dtsfilename", std::string("tegra234-p3701-0000-p3737-0000\0", 31));
  write("etc/nv_tegra_release", "# R35 (release), REVISION: 4.1\n");
  const auto id = edgetwin::hw::identify_board(root_.string());
  EXPECT_EQ(id.board_id, "agx_orin");
  EXPECT_EQ(id.module, "p3701-0000");
  EXPECT_EQ(id.l4t_release, "# R35 (release), REVISION: 4.1");
}

TEST_F(FakeRoot, NanoAndTx2AndOrinNanoVersusOrinNx) {
  write("proc/device-tree/nvidia,dtsfilename", "tegra210-p3448-0000-p3449-0000-b00");
  EXPECT_EQ(edgetwin::hw::identify_board(root_.string()).board_id, "nano");
  write("proc/device-tree/nvidia,dtsfilename", "tegra186-quill-p3310-1000-c03-00-base");
  EXPECT_EQ(edgetwin::hw::identify_board(root_.string()).board_id, "tx2");
  EXPECT_EQ(edgetwin::hw::board_id_for_module("p3767-0003"), "orin_nano");
  EXPECT_EQ(edgetwin::hw::board_id_for_module("p3767-0000"), "orin_nx");
  EXPECT_EQ(edgetwin::hw::board_id_for_module("p2888-0004"), "agx_xavier");
}

TEST_F(FakeRoot, CompatibleIsTheFallback) {
  write("proc/device-tree/compatible", std::string("nvidia,p3668-0001\0nvidia,tegra194\0", 34));
  EXPECT_EQ(edgetwin::hw::identify_board(root_.string()).board_id, "xavier_nx");
}

TEST_F(FakeRoot, NotAJetson) {
  const auto id = edgetwin::hw::identify_board(root_.string());
  EXPECT_EQ(id.board_id, "");
  EXPECT_EQ(id.module, "");
  EXPECT_EQ(edgetwin::hw::board_id_for_module("p9999-0000"), "");
}

TEST(L4tVersion, IsTheMajorReleaseAndTheRevision) {
  using edgetwin::hw::l4t_version;
  EXPECT_EQ(l4t_version("# R32 (release), REVISION: 7.4, GCID: 33514132, BOARD: t210ref, EABI: aarch64"),
            "R32.7.4");
  EXPECT_EQ(l4t_version("# R28 (release), REVISION: 2.1, GCID: 11272647, BOARD: t186ref"), "R28.2.1");
  EXPECT_EQ(l4t_version("# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic"), "R36.4.3");
  EXPECT_EQ(l4t_version("# R35 (release), REVISION: 1"), "R35.1");
  EXPECT_EQ(l4t_version(""), "");
  EXPECT_EQ(l4t_version("# R32 (release)"), "");             // no revision
  EXPECT_EQ(l4t_version("# (release), REVISION: 4.1"), "");  // no major release
}

}  // namespace
