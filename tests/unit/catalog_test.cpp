// Catalog loading and validation: the shipped catalogs load; each kind of defect is rejected with
// the file, the JSON pointer and the reason.

#include "edgetwin/traces/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"

#include <unistd.h>

namespace fs = std::filesystem;
using edgetwin::common::DataError;
using edgetwin::traces::Catalog;
using nlohmann::json;

namespace {

const std::string kFixture = std::string(EDGETWIN_TEST_DATA_DIR) + "/catalog_min/boards/tiny.json";

json fixture() {
  std::ifstream in(kFixture);
  return json::parse(in);
}

// A scratch folder of this test process: ctest runs the test cases as parallel processes, which
// must not write the same files.
fs::path scratch_dir() {
  return fs::temp_directory_path() / ("edgetwin_catalog_test_" + std::to_string(::getpid()));
}

// Writes `doc` as <scratch>/<stem>.json and loads it; returns the DataError raised (fails if none).
DataError board_error(const json& doc, const std::string& stem = "tiny") {
  const fs::path dir = scratch_dir();
  fs::create_directories(dir);
  const fs::path file = dir / (stem + ".json");
  std::ofstream(file) << doc.dump(1);
  try {
    edgetwin::traces::load_board_file(file.string());
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), file.string());
    return e;
  }
  ADD_FAILURE() << "no DataError for " << doc.dump();
  return DataError("", "", "");
}

TEST(ShippedCatalog, AllBoardsAndModelsLoadAndValidate) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  for (const char* id :
       {"nano", "tx2", "xavier_nx", "agx_xavier", "orin_nano", "orin_nx", "agx_orin", "rtx3080", "a100"}) {
    ASSERT_TRUE(catalog.has_board(id)) << id;
    const auto& b = catalog.board(id);
    EXPECT_FALSE(b.cpu_freqs_khz.empty());
    EXPECT_GT(b.max_power_w, b.idle_power_w);
    // The default power mode's caps are values of the tables (validated on load).
    const auto& mode = b.power_mode(b.default_power_mode);
    EXPECT_LE(mode.gpu_max_hz, b.gpu_freqs_hz.back());
  }
  EXPECT_EQ(catalog.board("xavier_nx").kind, "edge");
  EXPECT_EQ(catalog.board("rtx3080").kind, "cloud");
  // Values straight from the public tables cited in docs/boards.md (Sources).
  EXPECT_EQ(catalog.board("tx2").gpu_freqs_hz.back(), 1300500000);
  EXPECT_EQ(catalog.board("nano").gpu_freqs_hz.back(), 921600000);
  EXPECT_EQ(catalog.board("xavier_nx").cpu_freqs_khz.back(), 1907200);
  for (const char* id : {"efficientnet_b0", "mobilenet_v2", "resnet18", "resnet50", "vgg16", "vit_b_16",
                         "inception_v3", "yolov8n"}) {
    EXPECT_TRUE(catalog.has_model(id)) << id;
  }
}

// ---------- releases: every table belongs to an L4T/JetPack release (docs/boards.md) ----------

TEST(BoardReleases, EveryModeCapOfEveryReleaseIsAValueOfThatReleasesTables) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  auto in = [](std::int64_t v, const std::vector<std::int64_t>& t) {
    return std::find(t.begin(), t.end(), v) != t.end();
  };
  int releases = 0;
  for (const auto& [id, b] : catalog.boards()) {
    if (b.kind == "edge") {
      EXPECT_FALSE(b.release.id.empty()) << id << ": an edge board names its release";
      EXPECT_FALSE(b.release.source.empty()) << id;
    }
    ASSERT_FALSE(b.release_ids.empty()) << id;
    EXPECT_EQ(b.release_ids.front(), b.base_id) << id << ": the default release comes first";
    EXPECT_NE(std::find(b.release_ids.begin(), b.release_ids.end(), id), b.release_ids.end()) << id;
    for (const auto& m : b.power_modes) {
      EXPECT_TRUE(in(m.cpu_max_khz, b.cpu_freqs_khz)) << id << " mode " << m.name << " cpu " << m.cpu_max_khz;
      EXPECT_TRUE(in(m.gpu_max_hz, b.gpu_freqs_hz)) << id << " mode " << m.name << " gpu " << m.gpu_max_hz;
      EXPECT_TRUE(in(m.emc_max_hz, b.emc_freqs_hz)) << id << " mode " << m.name << " emc " << m.emc_max_hz;
    }
    ++releases;
  }
  EXPECT_GE(releases, 11);  // 9 board files, TX2 and AGX Orin with a second release
}

// One test per board: its table against the list its recorded source prints (copied by hand from
// that source; docs/boards.md, Sources, names each).
std::vector<std::int64_t> gpu_table(const std::string& id) {
  static const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  return catalog.board(id).gpu_freqs_hz;
}

TEST(BoardReleases, Tx2R28GpuTableIsZttsTable) {
  // zTT Jetson_tx2/Util/GPU.py frequency list (JetPack 3.3).
  EXPECT_EQ(gpu_table("tx2"), (std::vector<std::int64_t>{
                                  114750000, 216750000, 318750000, 420750000, 522750000, 624750000, 726750000,
                                  828750000, 930750000, 1032750000, 1134750000, 1236750000, 1300500000}));
}

TEST(BoardReleases, Tx2R32GpuTableIsTheSweepsTableAndItsCapsAreThatTablesSteps) {
  // thynics/jetson_dvfs profiling/profiling.py available_frequencies (L4T R32 tegrastats format).
  EXPECT_EQ(
      gpu_table("tx2@r32"),
      (std::vector<std::int64_t>{114750000, 216750000, 318750000, 420750000, 522750000, 624750000, 726750000,
                                 854250000, 930750000, 1032750000, 1122000000, 1236750000, 1300500000}));
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  EXPECT_EQ(catalog.board("tx2@r32").power_mode(1).gpu_max_hz, 854250000);   // MAXQ
  EXPECT_EQ(catalog.board("tx2@r32").power_mode(2).gpu_max_hz, 1122000000);  // MAXP_CORE_ALL
  EXPECT_EQ(catalog.board("tx2").power_mode(1).gpu_max_hz, 828750000);
  // nvpmodel EMC caps of the TX2 conf: MAXQ 1331.2 MHz, MAXP 1600 MHz.
  EXPECT_EQ(catalog.board("tx2").power_mode(1).emc_max_hz, 1331200000);
  EXPECT_EQ(catalog.board("tx2@r32").power_mode(2).emc_max_hz, 1600000000);
  EXPECT_EQ(catalog.board("tx2@r32").release.id, "r32");
  EXPECT_EQ(catalog.board("tx2@r32").base_id, "tx2");
  EXPECT_EQ(catalog.board("tx2").release_ids, (std::vector<std::string>{"tx2", "tx2@r32"}));
}

TEST(BoardReleases, NanoGpuTableIsTheJetPack4Table) {
  EXPECT_EQ(gpu_table("nano"),
            (std::vector<std::int64_t>{76800000, 153600000, 230400000, 307200000, 384000000, 460800000,
                                       537600000, 614400000, 691200000, 768000000, 844800000, 921600000}));
}

TEST(BoardReleases, XavierNxGpuTableIsTheJetPack46Table) {
  EXPECT_EQ(gpu_table("xavier_nx"),
            (std::vector<std::int64_t>{114750000, 204000000, 306000000, 408000000, 510000000, 599250000,
                                       701250000, 752250000, 803250000, 854250000, 905250000, 956250000,
                                       1007250000, 1058250000, 1109250000}));
}

TEST(BoardReleases, AgxXavierGpuTableIsJetsonPowerTestingsList) {
  EXPECT_EQ(gpu_table("agx_xavier"),
            (std::vector<std::int64_t>{114750000, 216750000, 318750000, 420750000, 522750000, 624750000,
                                       675750000, 828750000, 905250000, 1032750000, 1198500000, 1236750000,
                                       1338750000, 1377000000}));
}

TEST(BoardReleases, AgxOrinJetPack5And6TablesDiffer) {
  EXPECT_EQ(gpu_table("agx_orin").size(), 13u);  // early JetPack 5 [PT]: the TX2 ladder
  EXPECT_EQ(gpu_table("agx_orin").front(), 114750000);
  EXPECT_EQ(gpu_table("agx_orin@jp6"),
            (std::vector<std::int64_t>{306000000, 408000000, 510000000, 612000000, 714000000, 816000000,
                                       918000000, 1020000000, 1122000000, 1224000000, 1300500000}));
}

TEST(BoardReleases, OrinNxGpuTableIsTheJetPack5Table) {
  EXPECT_EQ(gpu_table("orin_nx"), (std::vector<std::int64_t>{306000000, 408000000, 510000000, 612000000,
                                                             714000000, 816000000, 918000000}));
}

TEST(BoardReleases, OrinNanoGpuTableIsTheSuperTable) {
  // JetPack 6.2 'Super': 306..1020 MHz in 102 MHz steps.
  EXPECT_EQ(gpu_table("orin_nano"), (std::vector<std::int64_t>{306000000, 408000000, 510000000, 612000000,
                                                               714000000, 816000000, 918000000, 1020000000}));
}

TEST(BoardReleases, AReleaseCapOutsideItsTableIsRejectedNamingTheRelease) {
  auto doc = fixture();
  doc["releases"] = json::array({{{"id", "t2"},
                                  {"name", "test release 2"},
                                  {"source", "test"},
                                  {"gpu_freqs_hz", {100000000, 300000000, 800000000}}}});
  const fs::path dir = scratch_dir();
  fs::create_directories(dir);
  const std::string file = (dir / "tiny.json").string();
  std::ofstream(file) << doc.dump(1);
  // Mode 1 caps the GPU at 400 MHz, which release t2's table lacks.
  try {
    edgetwin::traces::load_board_releases(file);
    ADD_FAILURE() << "a release cap outside its table loaded";
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), file);
    EXPECT_EQ(e.where(), "/releases/0");
    EXPECT_NE(e.reason().find("release t2, /power_modes/modes/1/gpu_max_hz"), std::string::npos) << e.what();
  }
  doc["releases"][0]["power_modes"] = json::array({{{"id", 1}, {"gpu_max_hz", 300000000}}});
  std::ofstream(file) << doc.dump(1);
  const auto boards = edgetwin::traces::load_board_releases(file);
  ASSERT_EQ(boards.size(), 2u);
  EXPECT_EQ(boards[1].id, "tiny@t2");
  EXPECT_EQ(boards[1].power_mode(1).gpu_max_hz, 300000000);
  EXPECT_EQ(boards[0].power_mode(1).gpu_max_hz, 400000000);
  EXPECT_EQ(boards[0].release_ids, (std::vector<std::string>{"tiny", "tiny@t2"}));
}

TEST(BoardReleases, AnEdgeBoardWithoutItsReleaseIsRejected) {
  auto doc = fixture();
  doc.erase("release");
  EXPECT_EQ(board_error(doc).where(), "/release");
}

TEST(BoardFile, FixtureLoads) {
  const auto b = edgetwin::traces::load_board_file(kFixture);
  EXPECT_EQ(b.id, "tiny");
  EXPECT_EQ(b.gpu_freqs_hz.size(), 4u);
  EXPECT_EQ(b.power_mode(1).name, "5W");
  EXPECT_EQ(b.total_core_count(), 4);
  EXPECT_THROW(b.power_mode(7), std::out_of_range);
}

TEST(BoardFile, UnknownKeyIsNamedWithAllowedKeys) {
  auto doc = fixture();
  doc["gpu"]["clock_hz"] = 1;
  const auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/gpu/clock_hz");
  EXPECT_NE(e.reason().find("allowed fields here: arch, cuda_cores, freqs_hz"), std::string::npos)
      << e.what();
}

TEST(BoardFile, MissingField) {
  auto doc = fixture();
  doc["power"].erase("idle_w");
  EXPECT_EQ(board_error(doc).where(), "/power/idle_w");
}

TEST(BoardFile, WrongType) {
  auto doc = fixture();
  doc["gpu"]["cuda_cores"] = "many";
  const auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/gpu/cuda_cores");
  EXPECT_NE(e.reason().find("the string \"many\""), std::string::npos) << e.what();
}

TEST(BoardFile, TableNotAscending) {
  auto doc = fixture();
  doc["gpu"]["freqs_hz"] = {100000000, 400000000, 200000000, 800000000};
  EXPECT_EQ(board_error(doc).where(), "/gpu/freqs_hz/2");
}

TEST(BoardFile, ModeCapNotInTable) {
  auto doc = fixture();
  doc["power_modes"]["modes"][1]["gpu_max_hz"] = 300000000;
  const auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/power_modes/modes/1/gpu_max_hz");
  EXPECT_NE(e.reason().find("300000000 is not a value of gpu/freqs_hz"), std::string::npos) << e.what();
}

TEST(BoardFile, BadEnumNamesAllowedValues) {
  auto doc = fixture();
  doc["rails"]["list"][1]["feeds"] = "graphics";
  const auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/rails/list/1/feeds");
  EXPECT_NE(e.reason().find("allowed: total, cpu, gpu"), std::string::npos) << e.what();
}

TEST(BoardFile, OutOfRangeNumber) {
  auto doc = fixture();
  doc["dvfs_transition"]["gpu"]["latency_s"] = -1;
  EXPECT_EQ(board_error(doc).where(), "/dvfs_transition/gpu/latency_s");
}

TEST(BoardFile, TotalRailMustExist) {
  auto doc = fixture();
  doc["rails"]["total"] = "VDD_IN";
  EXPECT_EQ(board_error(doc).where(), "/rails/total");
}

TEST(BoardFile, L4tPatternsAreReleasesAndNumbers) {
  auto doc = fixture();
  doc["release"]["l4t"] = {"R32", "35.1"};
  const DataError e = board_error(doc);
  EXPECT_EQ(e.where(), "/release/l4t");
  EXPECT_NE(std::string(e.what()).find("found \"35.1\""), std::string::npos) << e.what();
}

// How an L4T version ("R32.7.4", from /etc/nv_tegra_release) is matched to a release's patterns.
TEST(L4tMatch, PrefixesOfComponentsAndOpenEndedVersions) {
  using edgetwin::traces::l4t_match;
  EXPECT_EQ(l4t_match("R32", "R32.7.4"), 1);
  EXPECT_EQ(l4t_match("R32.7", "R32.7.4"), 2);
  EXPECT_EQ(l4t_match("R32.6", "R32.7.4"), 0);
  EXPECT_EQ(l4t_match("R3", "R32.7.4"), 0);  // whole numbers, not text prefixes
  EXPECT_EQ(l4t_match("R28.2", "R28.2.1"), 2);
  EXPECT_EQ(l4t_match("R36.4.3+", "R36.4.3"), 3);
  EXPECT_EQ(l4t_match("R36.4.3+", "R36.4.4"), 3);
  EXPECT_EQ(l4t_match("R36.4.3+", "R36.5"), 3);
  EXPECT_EQ(l4t_match("R36.4.3+", "R36.4.2"), 0);
  EXPECT_EQ(l4t_match("R36.4.3+", "R36.4"), 0);  // R36.4 = R36.4.0
  EXPECT_EQ(l4t_match("R36.4.3+", "R37.0"), 0);  // another major release
  EXPECT_EQ(l4t_match("R32", "garbage"), 0);
  EXPECT_TRUE(edgetwin::traces::valid_l4t_pattern("R36.4.3+"));
  EXPECT_FALSE(edgetwin::traces::valid_l4t_pattern("R36.+"));
  EXPECT_FALSE(edgetwin::traces::valid_l4t_pattern("r32"));
}

TEST(L4tMatch, Tx2ReleasesAreChosenByTheBoardsL4tVersion) {
  const auto catalog = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  EXPECT_EQ(edgetwin::traces::release_for_l4t(catalog, "tx2", "R28.2.1"), "tx2");
  EXPECT_EQ(edgetwin::traces::release_for_l4t(catalog, "tx2", "R32.7.4"), "tx2@r32");
  EXPECT_EQ(edgetwin::traces::release_for_l4t(catalog, "tx2@r32", "R28.2.1"), "tx2");
  EXPECT_EQ(edgetwin::traces::release_for_l4t(catalog, "tx2", "R35.4.1"), "");
  EXPECT_EQ(edgetwin::traces::release_for_l4t(catalog, "agx_orin", "R35.1.0"), "agx_orin");
  EXPECT_EQ(edgetwin::traces::release_for_l4t(catalog, "agx_orin", "R36.3.0"), "agx_orin@jp6");
}

TEST(BoardFile, IdMustMatchFileName) {
  EXPECT_EQ(board_error(fixture(), "other").where(), "/id");
}

TEST(BoardFile, InvalidJsonNamesPosition) {
  const fs::path file = scratch_dir() / "broken_json.json";
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "{\n  \"id\": \"x\",\n  \"name\": \n}";
  try {
    edgetwin::traces::load_board_file(file.string());
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("line 4"), std::string::npos) << e.what();
  }
}

// --- Thermal model section (docs/thermal.md) ---------------------------------------------------

json with_thermal() {
  auto doc = fixture();
  doc["thermal"] = json::parse(R"({"zones": [
      {"name": "cpu", "sysfs_types": ["CPU-therm"], "r_k_per_w": 2, "tau_s": 100,
       "inputs": [{"rail": "IN", "weight": 1}, {"rail": "CPU", "weight": 0.5}], "limit_c": 90},
      {"name": "gpu", "sysfs_types": ["GPU-therm"], "r_k_per_w": 2, "tau_s": 100,
       "inputs": [{"rail": "GPU", "weight": 1.5}], "fallback_total_weight": 1.2}],
      "source": "test", "estimated": true})");
  return doc;
}

TEST(BoardThermal, ZonesLoadWithRailIndicesAndDefaults) {
  const fs::path dir = scratch_dir();
  fs::create_directories(dir);
  std::ofstream(dir / "tiny.json") << with_thermal().dump(1);
  const auto b = edgetwin::traces::load_board_file((dir / "tiny.json").string());
  ASSERT_EQ(b.thermal.zones.size(), 2u);
  const auto& cpu = b.thermal.zones[0];
  EXPECT_EQ(cpu.name, "cpu");
  EXPECT_EQ(cpu.sysfs_types, std::vector<std::string>{"CPU-therm"});
  ASSERT_EQ(cpu.inputs.size(), 2u);
  EXPECT_EQ(cpu.inputs[1].rail, 2);  // rails: IN, GPU, CPU
  EXPECT_DOUBLE_EQ(cpu.inputs[1].weight, 0.5);
  EXPECT_DOUBLE_EQ(cpu.fallback_total_weight, 1.0);  // default
  EXPECT_DOUBLE_EQ(cpu.limit_c, 90.0);
  EXPECT_DOUBLE_EQ(b.thermal.zones[1].fallback_total_weight, 1.2);
  EXPECT_TRUE(std::isnan(b.thermal.zones[1].limit_c));  // no limit given
  // Without the section: no model.
  EXPECT_TRUE(edgetwin::traces::load_board_file(kFixture).thermal.zones.empty());
}

TEST(BoardThermal, ShippedEdgeBoardsHaveCpuAndGpuZonesAndCloudBoardsNone) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  for (const char* id : {"nano", "tx2", "xavier_nx", "agx_xavier", "orin_nano", "orin_nx", "agx_orin"}) {
    const auto& zones = catalog.board(id).thermal.zones;
    ASSERT_GE(zones.size(), 2u) << id;
    EXPECT_EQ(zones[0].name, "cpu") << id;
    EXPECT_EQ(zones[1].name, "gpu") << id;
  }
  const auto& tx2 = catalog.board("tx2");
  EXPECT_EQ(tx2.thermal.zones[0].sysfs_types, (std::vector<std::string>{"BCPU-therm", "MCPU-therm"}));
  EXPECT_EQ(tx2.rails[static_cast<std::size_t>(tx2.thermal.zones[0].inputs[1].rail)].name, "VDD_SYS_CPU");
  EXPECT_TRUE(catalog.board("rtx3080").thermal.zones.empty());
  EXPECT_TRUE(catalog.board("a100").thermal.zones.empty());
}

TEST(BoardThermal, UnknownKeyIsNamedWithAllowedKeys) {
  auto doc = with_thermal();
  doc["thermal"]["zones"][1]["capacitance"] = 3;
  const auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/thermal/zones/1/capacitance");
  EXPECT_NE(e.reason().find("allowed fields here: name, sysfs_types, r_k_per_w, tau_s"), std::string::npos)
      << e.what();
}

TEST(BoardThermal, NegativeResistanceAndTimeConstantAreRejected) {
  auto doc = with_thermal();
  doc["thermal"]["zones"][0]["r_k_per_w"] = -2;
  auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/thermal/zones/0/r_k_per_w");
  EXPECT_NE(e.reason().find("found -2, allowed range"), std::string::npos) << e.what();
  doc = with_thermal();
  doc["thermal"]["zones"][1]["tau_s"] = -1;
  EXPECT_EQ(board_error(doc).where(), "/thermal/zones/1/tau_s");
}

TEST(BoardThermal, UnknownRailNamesTheBoardsRails) {
  auto doc = with_thermal();
  doc["thermal"]["zones"][1]["inputs"][0]["rail"] = "VDD_GPU";
  const auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/thermal/zones/1/inputs/0/rail");
  EXPECT_NE(e.reason().find("found \"VDD_GPU\", allowed: IN, GPU, CPU"), std::string::npos) << e.what();
}

TEST(BoardThermal, CpuAndGpuZonesAreRequiredOnceEach) {
  auto doc = with_thermal();
  doc["thermal"]["zones"][1]["name"] = "cpu";
  auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/thermal/zones/1/name");
  EXPECT_NE(e.reason().find("twice"), std::string::npos) << e.what();
  doc = with_thermal();
  doc["thermal"]["zones"][1]["name"] = "soc";
  e = board_error(doc);
  EXPECT_EQ(e.where(), "/thermal/zones");
  EXPECT_NE(e.reason().find("no zone named \"gpu\""), std::string::npos) << e.what();
  doc = with_thermal();
  doc["thermal"]["zones"][0]["name"] = "die";
  EXPECT_NE(board_error(doc).reason().find("allowed: cpu, gpu, soc, cv, board"), std::string::npos);
}

TEST(BoardThermal, CloudBoardsTakeNoThermalModel) {
  auto doc = with_thermal();
  doc["kind"] = "cloud";
  const auto e = board_error(doc);
  EXPECT_EQ(e.where(), "/thermal");
  EXPECT_NE(e.reason().find("allowed on edge boards only"), std::string::npos) << e.what();
}

TEST(CatalogDir, MissingDirectoryAndBadBoard) {
  EXPECT_THROW(Catalog::load("/nonexistent/edgetwin"), DataError);
  try {
    Catalog::load(std::string(EDGETWIN_TEST_DATA_DIR) + "/bad_catalog");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(e.file().find("broken.json"), std::string::npos);
    EXPECT_EQ(e.where(), "/gpu/freqs_hz/2");
  }
}

TEST(CatalogLookup, UnknownIdListsKnownIds) {
  Catalog catalog;
  catalog.add_board(edgetwin::traces::load_board_file(kFixture));
  try {
    catalog.board("tx3");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("known boards: tiny"), std::string::npos) << e.what();
  }
}

TEST(AccuracyTables, ShippedTablesGiveTheFinalAccuracyExitCurveAndOffloadLoss) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  for (const auto& id : catalog.model_ids()) EXPECT_NE(catalog.accuracy(id), nullptr) << id;
  const auto& model = catalog.model("resnet50");
  const auto& table = *catalog.accuracy("resnet50");
  EXPECT_DOUBLE_EQ(table.accuracy(model, -1, false, 1.0), 0.7613);  // torchvision acc@1 76.130 %
  // Exit after unit 3: d = MACs of units 0..3 / all MACs; accuracy = final x (1 - 0.6 (1 - d)).
  double before = 0;
  for (int i = 0; i <= 3; ++i) before += static_cast<double>(model.units[static_cast<std::size_t>(i)].macs);
  const double d = before / static_cast<double>(model.total_macs());
  EXPECT_NEAR(table.accuracy(model, 3, false, 1.0), 0.7613 * (1 - 0.6 * (1 - d)), 1e-12);
  // Half the split feature map sent: x (1 - 0.1 x 0.5^3).
  EXPECT_NEAR(table.accuracy(model, -1, true, 0.5), 0.7613 * (1 - 0.1 * 0.125), 1e-12);
  EXPECT_NEAR(table.accuracy(model, -1, true, 1.0), 0.7613, 1e-12);
}

// A catalog directory of the shipped boards and models with the accuracy tables given.
fs::path catalog_with_accuracy(const std::string& name, const std::map<std::string, json>& tables) {
  const fs::path dir = scratch_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir / "accuracy");
  fs::create_directory_symlink(fs::path(EDGETWIN_CATALOG_DIR) / "boards", dir / "boards");
  fs::create_directory_symlink(fs::path(EDGETWIN_CATALOG_DIR) / "models", dir / "models");
  for (const auto& [file, doc] : tables) std::ofstream(dir / "accuracy" / file) << doc.dump();
  return dir;
}

TEST(AccuracyTables, AModelMayHaveTablesForSeveralDatasets) {
  const json imagenet =
      json::parse(std::ifstream(fs::path(EDGETWIN_CATALOG_DIR) / "accuracy" / "resnet50.json"));
  json cifar = imagenet;
  cifar["dataset_key"] = "cifar10";
  cifar["dataset"] = "CIFAR-10 test";
  cifar["final_accuracy"] = 0.93;
  // Name order would put resnet50.cifar10.json first; <model>.json is the default all the same.
  const fs::path dir = catalog_with_accuracy("accuracy_datasets",
                                             {{"resnet50.json", imagenet}, {"resnet50.cifar10.json", cifar}});
  const Catalog catalog = Catalog::load(dir.string());
  EXPECT_EQ(catalog.accuracy_datasets("resnet50"), (std::vector<std::string>{"imagenet1k_val", "cifar10"}));
  EXPECT_EQ(catalog.accuracy("resnet50")->dataset_key, "imagenet1k_val");
  EXPECT_EQ(catalog.accuracy("resnet50", "")->final_accuracy, 0.7613);
  EXPECT_EQ(catalog.accuracy("resnet50", "cifar10")->final_accuracy, 0.93);
  EXPECT_EQ(catalog.accuracy("resnet50", "coco_val2017"), nullptr);
  EXPECT_TRUE(catalog.accuracy_datasets("vgg16").empty());
  EXPECT_EQ(catalog.accuracy("vgg16"), nullptr);

  // A file named for one dataset that says another, and two tables of one dataset.
  json wrong = cifar;
  wrong["dataset_key"] = "svhn";
  try {
    Catalog::load(catalog_with_accuracy("accuracy_misnamed", {{"resnet50.cifar10.json", wrong}}).string());
    FAIL() << "a misnamed table was accepted";
  } catch (const DataError& e) {
    EXPECT_EQ(e.where(), "/dataset_key");
    EXPECT_NE(e.reason().find("found \"svhn\", allowed: \"cifar10\" (the file's name, "
                              "resnet50.<dataset_key>.json)"),
              std::string::npos)
        << e.what();
  }
  try {
    Catalog::load(catalog_with_accuracy("accuracy_twice", {{"resnet50.json", imagenet},
                                                           {"resnet50.imagenet1k_val.json", imagenet}})
                      .string());
    FAIL() << "two tables of one dataset were accepted";
  } catch (const DataError& e) {
    EXPECT_NE(e.file().find("resnet50.imagenet1k_val.json"), std::string::npos);
    EXPECT_NE(e.reason().find("already has; each dataset of a model has one table"), std::string::npos)
        << e.what();
  }
  json bad_key = imagenet;
  bad_key["dataset_key"] = "ImageNet val";
  try {
    Catalog::load(catalog_with_accuracy("accuracy_bad_key", {{"resnet50.json", bad_key}}).string());
    FAIL() << "a key that is not an id was accepted";
  } catch (const DataError& e) {
    EXPECT_EQ(e.where(), "/dataset_key");
    EXPECT_NE(e.reason().find("allowed: a lowercase id"), std::string::npos) << e.what();
  }
}

TEST(AccuracyTables, AnExitThatIsNotAnExitPointIsRejected) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  const fs::path file = scratch_dir() / "accuracy_test.json";
  fs::create_directories(file.parent_path());
  json doc = json::parse(std::ifstream(fs::path(EDGETWIN_CATALOG_DIR) / "accuracy" / "yolov8n.json"));
  doc["exits"] = json::parse(R"([{"after_unit": 3, "accuracy": 0.2}])");  // yolov8n has no exits
  std::ofstream(file) << doc.dump();
  try {
    edgetwin::traces::load_accuracy_file(file.string(), catalog.model("yolov8n"));
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(e.where(), "/exits/0/after_unit");
    EXPECT_NE(std::string(e.what()).find("allowed: an exit point of model yolov8n"), std::string::npos)
        << e.what();
  }
  fs::remove(file);
}

TEST(AccuracyTables, ChannelSplitAccuracyByShareCodecAndRankingIsHandComputed) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  for (const auto& id : catalog.model_ids()) EXPECT_TRUE(catalog.accuracy(id)->channel_split.present) << id;
  const auto& model = catalog.model("resnet50");
  const auto& table = *catalog.accuracy("resnet50");
  // Attention-ranked, half the channels at 8 bits: M = 0.5^3 = 0.125;
  // loss = 0.125 x 0.01 x 1 + 4 x 0.02 x 0.125 x 0.875 = 0.01.
  EXPECT_NEAR(table.split_accuracy(model, -1, 0.5, 8, true), 0.7613 * (1 - 0.01), 1e-12);
  // Random channels: M = 0.5; loss = 0.005 + 4 x 0.02 x 0.25 = 0.025.
  EXPECT_NEAR(table.split_accuracy(model, -1, 0.5, 8, false), 0.7613 * (1 - 0.025), 1e-12);
  // 4 bits: the quantisation term x 2^4: 0.125 x 0.01 x 16 + 0.00875 = 0.02875.
  EXPECT_NEAR(table.split_accuracy(model, -1, 0.5, 4, true), 0.7613 * (1 - 0.02875), 1e-12);
  // Nothing offloaded: no loss; everything offloaded (M = 1): only the quantisation term.
  EXPECT_NEAR(table.split_accuracy(model, -1, 0.0, 8, true), 0.7613, 1e-12);
  EXPECT_NEAR(table.split_accuracy(model, -1, 1.0, 8, false), 0.7613 * (1 - 0.01), 1e-12);

  // Measured points override the curve for their (share, bits, ranking); a bad ranking is refused.
  const fs::path file = scratch_dir() / "accuracy_split_test.json";
  fs::create_directories(file.parent_path());
  json doc = json::parse(std::ifstream(fs::path(EDGETWIN_CATALOG_DIR) / "accuracy" / "resnet50.json"));
  doc["channel_split"]["points"] =
      json::parse(R"([{"share": 0.5, "bits": 8, "ranking": "random", "accuracy": 0.70}])");
  std::ofstream(file) << doc.dump();
  const auto measured = edgetwin::traces::load_accuracy_file(file.string(), model);
  EXPECT_NEAR(measured.split_accuracy(model, -1, 0.5, 8, false), 0.70, 1e-12);
  EXPECT_NEAR(measured.split_accuracy(model, -1, 0.5, 8, true), 0.7613 * (1 - 0.01), 1e-12);
  doc["channel_split"]["points"][0]["ranking"] = "best";
  std::ofstream(file) << doc.dump();
  try {
    edgetwin::traces::load_accuracy_file(file.string(), model);
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(e.where(), "/channel_split/points/0/ranking");
  }
  fs::remove(file);
}

}  // namespace
