// Board discovery and clock control against the fake board of every supported family.

#include "edgetwin/hw/board_control.hpp"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "edgetwin/hw/board_layout.hpp"
#include "edgetwin/hw/fake_board.hpp"
#include "edgetwin/hw/fake_driver.hpp"
#include "edgetwin/traces/catalog.hpp"

#include "fake_root.hpp"

namespace {

namespace fs = std::filesystem;
using edgetwin::hw::BoardControl;
using edgetwin::hw::ClockError;
using edgetwin::hw::EmcKind;
using edgetwin::hw::Sysfs;
using edgetwin::hw::SysfsError;
using edgetwin::traces::ClockSetting;

const edgetwin::traces::Catalog& catalog() {
  static const auto c = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}

const edgetwin::traces::Synthesizer& synth() {
  static const edgetwin::traces::Synthesizer s(
      catalog(), edgetwin::traces::load_synth_calibration(
                     edgetwin::traces::default_calibration_path(EDGETWIN_CATALOG_DIR)));
  return s;
}

class FakeBoardFamily : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    root_ = edgetwin::testing::make_test_root("edgetwin_fake");
    board_ = &catalog().board(GetParam());
    edgetwin::hw::build_fake_board(*board_, root_.string());
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
  const edgetwin::traces::Board* board_ = nullptr;
};

TEST_P(FakeBoardFamily, DiscoveryFindsTheCatalogLayout) {
  Sysfs sysfs(root_.string());
  const auto layout = edgetwin::hw::discover_layout(sysfs, board_);
  EXPECT_EQ(layout.identity.board_id, board_->id);
  EXPECT_EQ(layout.identity.soc, board_->soc);
  ASSERT_EQ(layout.cpu_policies.size(), board_->cpu_clusters.size());
  for (std::size_t k = 0; k < layout.cpu_policies.size(); ++k) {
    EXPECT_EQ(static_cast<int>(layout.cpu_policies[k].cpus.size()), board_->cpu_clusters[k].core_count) << k;
    EXPECT_EQ(layout.cpu_policies[k].freqs_khz, board_->cpu_clusters[k].freqs_khz) << k;
  }
  // Found by compatible string, not the decoy devfreq device.
  EXPECT_EQ(layout.gpu.dir.find("15340000.vic"), std::string::npos) << layout.gpu.dir;
  EXPECT_EQ(layout.gpu.freqs_hz, board_->gpu_freqs_hz);
  EXPECT_EQ(layout.emc.kind, board_->soc == "T210" ? EmcKind::t210_override : EmcKind::bpmp);
  EXPECT_EQ(layout.emc.freqs_hz, board_->emc_freqs_hz);
  EXPECT_TRUE(edgetwin::hw::compare_with_catalog(layout, *board_).empty());
}

// A board's L4T version picks its catalog release (docs/boards.md "Releases"): the fake of every
// release of every edge board says an L4T version that maps back to that release.
TEST(FakeBoardRelease, EveryReleaseOfEveryEdgeBoardIsFoundFromItsL4tVersion) {
  int checked = 0;
  for (const auto& [id, board] : catalog().boards()) {
    if (board.kind != "edge") continue;
    const fs::path root = edgetwin::testing::make_test_root("edgetwin_fake_release");
    edgetwin::hw::build_fake_board(board, root.string());
    const auto identity = edgetwin::hw::identify_board(root.string());
    const std::string version = edgetwin::hw::l4t_version(identity.l4t_release);
    EXPECT_EQ(identity.board_id, board.base_id) << id;
    EXPECT_EQ(edgetwin::traces::release_for_l4t(catalog(), identity.board_id, version), id)
        << id << ": " << identity.l4t_release;
    fs::remove_all(root);
    ++checked;
  }
  EXPECT_GE(checked, 9);  // seven board files, two with a second release
}

TEST_P(FakeBoardFamily, WritesOnlyKnownFilesAndRestoresTheSavedTree) {
  edgetwin::hw::FakeBoardDriver driver(*board_, synth(), root_.string());
  driver.start();
  driver.wait_steps(2);
  Sysfs sysfs(root_.string());
  BoardControl control(sysfs, edgetwin::hw::discover_layout(sysfs, board_));
  const auto before = edgetwin::testing::snapshot_tree(root_, false);
  const ClockSetting low{board_->cpu_freqs_khz[1], board_->gpu_freqs_hz[1], board_->emc_freqs_hz.front()};
  const auto applied = control.set_clocks(low);
  for (std::int64_t khz : applied.cpu_khz) EXPECT_EQ(khz, low.cpu_khz);
  EXPECT_EQ(applied.gpu_hz, low.gpu_hz);
  EXPECT_EQ(applied.emc_hz, low.emc_hz);
  driver.wait_steps(2);
  // The fake kernel applied them.
  EXPECT_EQ(driver.clocks().cpu_khz, low.cpu_khz);
  EXPECT_EQ(driver.clocks().gpu_hz, low.gpu_hz);
  EXPECT_EQ(driver.clocks().emc_hz, low.emc_hz);
  const auto after = edgetwin::testing::snapshot_tree(root_, false);
  const auto changed = edgetwin::testing::changed_files(before, after);
  EXPECT_FALSE(changed.empty());
  for (const std::string& file : changed) {
    EXPECT_EQ(sysfs.writable_files().count(file), 1U)
        << file << " was written but is not a clock-control file";
  }
  EXPECT_TRUE(control.restore().empty());
  driver.wait_steps(2);
  EXPECT_EQ(edgetwin::testing::snapshot_tree(root_, false), before);
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, FakeBoardFamily, ::testing::ValuesIn(edgetwin::hw::fake_board_ids()));

class XavierNx : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = edgetwin::testing::make_test_root("edgetwin_fake");
    edgetwin::hw::build_fake_board(catalog().board("xavier_nx"), root_.string());
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(XavierNx, OffTableFrequencyIsRefusedAndNothingIsWritten) {
  Sysfs sysfs(root_.string());
  BoardControl control(sysfs, edgetwin::hw::discover_layout(sysfs, &catalog().board("xavier_nx")));
  const auto before = edgetwin::testing::snapshot_tree(root_);
  try {
    control.set_clocks({1907200, 1109250001, 0});
    FAIL() << "an off-table GPU clock was accepted";
  } catch (const ClockError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "gpu_hz 1109250001 is not in the board's devfreq table. allowed: 114750000, "),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(control.set_clocks({1907201, 0, 0}), ClockError);
  EXPECT_THROW(control.set_clocks({0, 0, 1866000001}), ClockError);
  EXPECT_EQ(edgetwin::testing::snapshot_tree(root_), before);
  EXPECT_FALSE(control.saved());
}

TEST_F(XavierNx, MinMaxAreWrittenInTheSafeOrder) {
  Sysfs sysfs(root_.string());
  BoardControl control(sysfs, edgetwin::hw::discover_layout(sysfs, &catalog().board("xavier_nx")));
  std::vector<std::pair<std::string, std::string>> log;
  sysfs.set_write_log(&log);
  const std::string gpu = control.layout().gpu.dir;
  // From the boot range [114750000, 1109250000] down to 204000000: min first, then max.
  control.set_clocks({0, 204000000, 0});
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(log[0], std::make_pair(gpu + "/min_freq", std::string("204000000")));
  EXPECT_EQ(log[1], std::make_pair(gpu + "/max_freq", std::string("204000000")));
  // Up to 1007250000 (above the current max): max first, then min.
  log.clear();
  control.set_clocks({0, 1007250000, 0});
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(log[0].first, gpu + "/max_freq");
  EXPECT_EQ(log[1].first, gpu + "/min_freq");
  // EMC: lock, then rate.
  log.clear();
  control.set_clocks({0, 0, 1600000000});
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(log[0], std::make_pair(std::string("sys/kernel/debug/bpmp/debug/clk/emc/mrq_rate_locked"),
                                   std::string("1")));
  EXPECT_EQ(log[1], std::make_pair(std::string("sys/kernel/debug/bpmp/debug/clk/emc/rate"),
                                   std::string("1600000000")));
}

TEST_F(XavierNx, OtherFilesAndPathsOutsideTheRootAreRefused) {
  Sysfs sysfs(root_.string());
  BoardControl control(sysfs, edgetwin::hw::discover_layout(sysfs, &catalog().board("xavier_nx")));
  EXPECT_THROW(sysfs.write("sys/devices/17000000.gv11b/railgate_enable", "0"), SysfsError);
  EXPECT_THROW(sysfs.write("sys/devices/system/cpu/cpu1/online", "0"), SysfsError);
  EXPECT_THROW(sysfs.write("../outside", "0"), SysfsError);
  // The same file through a symlink is allowed (cpu1/cpufreq links to policy0).
  EXPECT_NO_THROW(sysfs.write("sys/devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "1907200"));
}

TEST_F(XavierNx, TableMismatchIsReportedAndTheBoardTableWins) {
  // A board whose GPU lists one level the catalog lacks and lacks the catalog's top level.
  std::ofstream(root_ / "sys/devices/17000000.gv11b/devfreq/17000000.gv11b/available_frequencies")
      << "114750000 204000000 306000000 408000000 510000000 599250000 701250000 752250000 803250000 "
         "854250000 "
         "905250000 956250000 1007250000 1058250000 1100000000\n";
  Sysfs sysfs(root_.string());
  const auto& board = catalog().board("xavier_nx");
  const auto layout = edgetwin::hw::discover_layout(sysfs, &board);
  const auto mismatches = edgetwin::hw::compare_with_catalog(layout, board);
  ASSERT_EQ(mismatches.size(), 1U);
  EXPECT_EQ(mismatches[0].domain, "gpu");
  EXPECT_EQ(mismatches[0].only_on_board, std::vector<std::int64_t>{1100000000});
  EXPECT_EQ(mismatches[0].only_in_catalog, std::vector<std::int64_t>{1109250000});
  BoardControl control(sysfs, layout);
  EXPECT_NO_THROW(control.set_clocks({0, 1100000000, 0}));
  EXPECT_THROW(control.set_clocks({0, 1109250000, 0}), ClockError);
  EXPECT_TRUE(control.restore().empty());
}

TEST(FakeBoard, Tx2ClustersAreInterleavedAndNanoUsesTheClockOverride) {
  const auto root = edgetwin::testing::make_test_root("edgetwin_fake");
  edgetwin::hw::build_fake_board(catalog().board("tx2"), (root / "tx2").string());
  Sysfs tx2((root / "tx2").string());
  const auto layout = edgetwin::hw::discover_layout(tx2, &catalog().board("tx2"));
  ASSERT_EQ(layout.cpu_policies.size(), 2U);
  EXPECT_EQ(layout.cpu_policies[0].cpus, (std::vector<int>{0, 3, 4, 5}));
  EXPECT_EQ(layout.cpu_policies[1].cpus, (std::vector<int>{1, 2}));
  EXPECT_EQ(layout.identity.chip_id, 0x18);

  edgetwin::hw::build_fake_board(catalog().board("nano"), (root / "nano").string());
  edgetwin::hw::FakeBoardDriver driver(catalog().board("nano"), synth(), (root / "nano").string());
  driver.start();
  Sysfs nano((root / "nano").string());
  BoardControl control(nano, edgetwin::hw::discover_layout(nano, &catalog().board("nano")));
  std::vector<std::pair<std::string, std::string>> log;
  nano.set_write_log(&log);
  control.set_clocks({0, 0, 1600000000});
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(log[0], std::make_pair(std::string("sys/kernel/debug/clk/override.emc/clk_update_rate"),
                                   std::string("1600000000")));
  EXPECT_EQ(log[1],
            std::make_pair(std::string("sys/kernel/debug/clk/override.emc/clk_state"), std::string("1")));
  driver.stop();
  fs::remove_all(root);
}

TEST(FakeBoard, UnknownBoardIsNamed) {
  try {
    edgetwin::hw::fake_family(catalog().board("a100"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no fake board for \"a100\". fake boards: nano, tx2, xavier_nx"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
