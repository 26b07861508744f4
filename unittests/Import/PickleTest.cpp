//===- PickleTest.cpp - the restricted unpickler --------------------------===//
//
// Pickles are assembled opcode by opcode, so every supported opcode and every
// rejection path is exercised without torch.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"
#include "trm/Import/TorchCheckpoint.h"

#include "llvm/ADT/StringMap.h"

#include <cstring>

using namespace mlir::trm;
using trm_test::errorOf;

namespace {

/// Emits pickle opcodes.
class Pickle {
public:
  std::vector<uint8_t> bytes;

  Pickle &op(uint8_t c) {
    bytes.push_back(c);
    return *this;
  }
  Pickle &raw(llvm::StringRef s) {
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  Pickle &le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k)
      bytes.push_back(uint8_t(v >> (8 * k)));
    return *this;
  }
  Pickle &proto(int v) { return op(0x80).le(v, 1); }
  Pickle &global(llvm::StringRef module, llvm::StringRef name) {
    return op('c').raw(module).raw("\n").raw(name).raw("\n");
  }
  Pickle &str(llvm::StringRef s) { return op('X').le(s.size(), 4).raw(s); }
  Pickle &shortStr(llvm::StringRef s) {
    return op(0x8c).le(s.size(), 1).raw(s);
  }
  Pickle &integer(int64_t v) {
    if (v >= 0 && v < 256)
      return op('K').le(v, 1);
    if (v >= 0 && v < 65536)
      return op('M').le(v, 2);
    if (v >= INT32_MIN && v <= INT32_MAX)
      return op('J').le(uint32_t(int32_t(v)), 4);
    return op(0x8a).le(8, 1).le(uint64_t(v), 8);
  }
  Pickle &intTuple(std::initializer_list<int64_t> values) {
    op('(');
    for (int64_t v : values)
      integer(v);
    return op('t');
  }
  Pickle &mark() { return op('('); }
  Pickle &put(int i) { return op('q').le(i, 1); }
  Pickle &get(int i) { return op('h').le(i, 1); }
  Pickle &stop() { return op('.'); }

  /// ('storage', torch.<cls>, key, 'cpu', numel) BINPERSID
  Pickle &storage(llvm::StringRef cls, llvm::StringRef key, int64_t numel) {
    mark().str("storage").global("torch", cls).str(key).str("cpu");
    return integer(numel).op('t').op('Q');
  }
  /// _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
  Pickle &tensor(llvm::StringRef cls, llvm::StringRef key, int64_t numel,
                 int64_t offset, std::initializer_list<int64_t> size,
                 std::initializer_list<int64_t> stride) {
    global("torch._utils", "_rebuild_tensor_v2");
    mark();
    storage(cls, key, numel);
    integer(offset).intTuple(size).intTuple(stride).op(0x89);
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  /// OrderedDict() MARK ... SETITEMS
  Pickle &beginDict() {
    return proto(2).global("collections", "OrderedDict").op(')').op('R').mark();
  }
  Pickle &endDict() { return op('u').stop(); }
};

/// A loader over named storages of floats 0, 1, 2, ...
struct Storages {
  llvm::StringMap<std::vector<uint8_t>> records;
  int loads = 0;
  void addFloats(llvm::StringRef key, int n) {
    std::vector<uint8_t> &r = records[key];
    r.resize(4 * n);
    for (int i = 0; i < n; ++i) {
      float f = float(i);
      std::memcpy(r.data() + 4 * i, &f, 4);
    }
  }
  TorchStorageLoader loader() {
    return [this](const TorchStorageRef &ref)
               -> llvm::Expected<std::vector<uint8_t>> {
      ++loads;
      auto it = records.find(ref.key);
      if (it == records.end())
        return fileError("test", "no record " + ref.key);
      return it->second;
    };
  }
};

llvm::Expected<std::vector<Tensor>> run(const Pickle &p, Storages &s) {
  return unpickleStateDict(p.bytes, "t.pkl", s.loader());
}

TEST(PickleTest, StateDictWithViews) {
  Pickle p;
  p.beginDict();
  p.str("a").tensor("FloatStorage", "0", 12, 2, {2, 3}, {3, 1});
  p.str("b").tensor("FloatStorage", "0", 12, 0, {4, 3}, {1, 4}); // transposed
  p.str("c").tensor("FloatStorage", "0", 12, 11, {1}, {1});
  p.endDict();
  Storages s;
  s.addFloats("0", 12);
  auto tensors = run(p, s);
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  ASSERT_EQ(tensors->size(), 3u);
  EXPECT_EQ(s.loads, 1) << "a shared storage is loaded once";
  EXPECT_EQ((*tensors)[0].name, "a");
  EXPECT_EQ((*tensors)[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ((*tensors)[0].toF32(), (std::vector<float>{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ((*tensors)[1].toF32(),
            (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ((*tensors)[2].toF32(), (std::vector<float>{11}));
}

TEST(PickleTest, Protocol4OpcodesAndPlainDict) {
  // FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE, EMPTY_DICT + SETITEM,
  // TUPLE1/2/3, BININT2, LONG1, NEWTRUE, NONE, _rebuild_parameter, BUILD.
  Pickle p;
  p.proto(4).op(0x95).le(0, 8); // an empty frame is fine
  p.op('}').op(0x94);           // {} memo 0
  p.shortStr("w");
  p.shortStr("torch._utils").shortStr("_rebuild_parameter").op(0x93).op(0x94);
  p.shortStr("torch._utils").shortStr("_rebuild_tensor_v2").op(0x93);
  p.mark();
  p.mark().shortStr("storage");
  p.shortStr("torch").shortStr("HalfStorage").op(0x93);
  p.shortStr("k").shortStr("cpu").integer(300).op('t').op('Q');
  p.integer(0);
  p.integer(1).integer(3).integer(100).op(0x87); // size (1, 3, 100)
  p.integer(300).integer(100).integer(1).op(0x87);
  p.op(0x88);   // requires_grad True
  p.op('N');    // hooks None
  p.op('t').op('R');
  p.op(0x88).op('N').op(0x87).op('R'); // _rebuild_parameter(t, True, None)
  p.op('}').op('b');                   // BUILD with an empty state
  p.op('s');                           // d['w'] = parameter
  p.op(0x8a).le(2, 1).le(0xff00, 2).op('0'); // LONG1 -256, POP
  p.stop();
  Storages s;
  std::vector<uint8_t> &r = s.records["k"];
  r.resize(600);
  for (int i = 0; i < 300; ++i) { // f16 1.0
    r[2 * i] = 0x00;
    r[2 * i + 1] = 0x3c;
  }
  auto tensors = run(p, s);
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  ASSERT_EQ(tensors->size(), 1u);
  EXPECT_EQ((*tensors)[0].dtype, DType::F16);
  EXPECT_EQ((*tensors)[0].shape, (std::vector<int64_t>{1, 3, 100}));
  EXPECT_EQ((*tensors)[0].toF32(), std::vector<float>(300, 1.0f));
}

TEST(PickleTest, MemoAndLongPut) {
  Pickle p;
  p.proto(2).op('}').op('r').le(70000, 4); // LONG_BINPUT
  p.mark().str("x").tensor("IntStorage", "s", 2, 0, {2}, {1});
  p.str("y").op('j').le(70000, 4).op('0'); // LONG_BINGET then POP
  p.tensor("IntStorage", "s", 2, 1, {1}, {1});
  p.op('u').stop();
  Storages s;
  s.records["s"] = {1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff};
  auto tensors = run(p, s);
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  EXPECT_EQ((*tensors)[0].toF32(), (std::vector<float>{1, -2}));
  EXPECT_EQ((*tensors)[1].toF32(), (std::vector<float>{-2}));
}

TEST(PickleTest, UnsupportedOpcodeNamesOpcodeAndOffset) {
  Pickle p;
  p.proto(2).op(0x8f); // EMPTY_SET
  Storages s;
  EXPECT_EQ(errorOf(run(p, s)),
            "t.pkl: offset 2: opcode 0x8f (EMPTY_SET): not supported (only "
            "the opcodes a state_dict uses are)");
  Pickle q;
  q.proto(2).op('i');
  EXPECT_NE(errorOf(run(q, s)).find("offset 2: opcode 0x69 'i' (INST)"),
            std::string::npos);
  Pickle r;
  r.op(0xff);
  EXPECT_NE(errorOf(run(r, s)).find("0xff (not a pickle opcode)"),
            std::string::npos);
}

TEST(PickleTest, RejectsUnknownGlobals) {
  Pickle p;
  p.proto(2).global("os", "system");
  Storages s;
  std::string msg = errorOf(run(p, s));
  EXPECT_NE(msg.find("offset 2: opcode 0x63 'c' (GLOBAL): global 'os.system' "
                     "is not supported"),
            std::string::npos)
      << msg;
  Pickle q;
  q.proto(4).shortStr("builtins").shortStr("eval").op(0x93);
  EXPECT_NE(errorOf(run(q, s)).find("global 'builtins.eval'"),
            std::string::npos);
}

TEST(PickleTest, MalformedPickles) {
  Storages s;
  auto expectError = [&](const Pickle &p, llvm::StringRef needle) {
    std::string msg = errorOf(run(p, s));
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
  };
  expectError(Pickle().proto(2).op('}'), "truncated pickle (no STOP opcode)");
  expectError(Pickle(), "offset 0: truncated pickle");
  expectError(Pickle().proto(2).op('X').le(100, 4).raw("abc"),
              "truncated: needs 100 more bytes, 3 left");
  expectError(Pickle().proto(2).op('X').le(0xffffffff, 4),
              "truncated: needs 4294967295 more bytes");
  expectError(Pickle().proto(2).op('J').le(1, 2), "truncated");
  expectError(Pickle().proto(2).get(5), "memo entry 5 was never stored");
  expectError(Pickle().proto(2).op('R'), "stack underflow");
  expectError(Pickle().proto(2).op('u'), "no MARK on the stack");
  expectError(Pickle().proto(2).op(']').op('s'), "stack underflow");
  expectError(Pickle().proto(2).op(']').integer(1).integer(2).op('s'),
              "SETITEM target is a list, not a dict");
  expectError(Pickle().proto(2).op('}').integer(1).op('a'),
              "APPEND target is a dict, not a list");
  expectError(Pickle().proto(2).op(']').stop(),
              "the pickled object is a list, not a state_dict");
  expectError(Pickle().proto(2).op('}').str("a").integer(3).op('s').stop(),
              "key 'a': value is a int, not a tensor");
  expectError(Pickle().proto(2).op('}').integer(1).integer(2).op('s').stop(),
              "state_dict key is a int, not a string");
  expectError(Pickle().proto(2).op(0x8a).le(9, 1).le(0, 8).le(1, 1),
              "integer does not fit in 64 bits");
  expectError(Pickle().proto(9), "unsupported protocol 9");
  expectError(Pickle().proto(2).op('X').le(2, 4).raw("\xff\xfe"),
              "not valid UTF-8");
  expectError(Pickle().proto(2).op('c').raw("torch"), "no end of line");
  expectError(Pickle().proto(2).op('(').op('}').stop(), "unbalanced MARK");
  // A list that contains itself: no leak, no endless recursion.
  expectError(Pickle().proto(2).op(']').put(0).get(0).op('a').stop(),
              "the pickled object is a list");
  // A persistent id that is not a storage tuple.
  expectError(Pickle().proto(2).str("x").op('Q'),
              "persistent id is not a ('storage', type, key, location, numel)");
  expectError(Pickle()
                  .proto(2)
                  .mark()
                  .str("storage")
                  .global("collections", "OrderedDict")
                  .str("0")
                  .str("cpu")
                  .integer(1)
                  .op('t')
                  .op('Q'),
              "not a torch storage class");
  // Calling something that is not callable here.
  expectError(Pickle().proto(2).global("torch", "FloatStorage").op(')').op('R'),
              "'torch.FloatStorage' cannot be called here");
  expectError(Pickle()
                  .proto(2)
                  .global("torch._utils", "_rebuild_tensor_v2")
                  .integer(1)
                  .op(0x85)
                  .op('R'),
              "expected at least 4 arguments, got 1");
}

TEST(PickleTest, RejectsBadViews) {
  Storages s;
  s.addFloats("0", 12);
  auto expectError = [&](const Pickle &p, llvm::StringRef needle) {
    std::string msg = errorOf(run(p, s));
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
  };
  {
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "0", 12, 4, {3, 4}, {4, 1});
    expectError(p.endDict(),
                "t.pkl: tensor 'a': view (offset 4, shape [3,4], strides "
                "[4,1]) reaches past the end of storage '0' (12 elements)");
  }
  {
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "0", 12, 0, {100}, {0});
    expectError(p.endDict(), "broadcast views are not supported");
  }
  {
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "0", 13, 0, {12}, {1});
    expectError(p.endDict(), "tensor 'a': storage '0' has 48 bytes, but the "
                             "pickle declares 13 F32 elements (52 bytes)");
  }
  {
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "0", 12, 0, {2, 2}, {1});
    expectError(p.endDict(), "size has 2 dimensions but stride 1");
  }
  {
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "0", 12, 0, {4}, {1});
    p.str("b").tensor("LongStorage", "0", 6, 0, {6}, {1});
    expectError(p.endDict(), "referenced with two different types");
  }
  {
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "0", 12, 0, {4}, {1});
    p.str("a").tensor("FloatStorage", "0", 12, 0, {4}, {1});
    expectError(p.endDict(), "key 'a' appears twice");
  }
  {
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "zz", 1, 0, {1}, {1});
    expectError(p.endDict(), "no record zz");
  }
  {
    // Huge sizes whose span overflows int64.
    Pickle p;
    p.beginDict().str("a").tensor("FloatStorage", "0", 12, 0,
                                  {int64_t(1) << 40, int64_t(1) << 40},
                                  {int64_t(1) << 40, 1});
    expectError(p.endDict(), "overflows");
  }
}

TEST(PickleTest, EmptyAndScalarTensors) {
  Pickle p;
  p.beginDict();
  p.str("empty").tensor("FloatStorage", "e", 0, 0, {0, 5}, {5, 1});
  p.str("scalar").tensor("FloatStorage", "0", 12, 7, {}, {});
  p.endDict();
  Storages s;
  s.addFloats("0", 12);
  s.records["e"] = {};
  auto tensors = run(p, s);
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  EXPECT_EQ((*tensors)[0].shape, (std::vector<int64_t>{0, 5}));
  EXPECT_TRUE((*tensors)[0].data.empty());
  EXPECT_TRUE((*tensors)[1].shape.empty());
  EXPECT_EQ((*tensors)[1].toF32(), (std::vector<float>{7}));
}

TEST(PickleTest, BigEndianStoragesAreSwapped) {
  Pickle p;
  p.beginDict().str("a").tensor("IntStorage", "0", 2, 0, {2}, {1}).endDict();
  Storages s;
  s.records["0"] = {0, 0, 0, 5, 0xff, 0xff, 0xff, 0xfe};
  auto tensors = unpickleStateDict(p.bytes, "t.pkl", s.loader(), true);
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  EXPECT_EQ((*tensors)[0].toF32(), (std::vector<float>{5, -2}));
}

} // namespace
