//===- TorchPickle.cpp - a restricted unpickler for state_dicts -----------===//
//
// Implements the part of the pickle virtual machine (protocols 2-5) that
// torch.save uses for a state_dict, with every read bounds-checked. Objects
// live in an arena owned by the machine, so reference cycles a hostile pickle
// may build (a list appended to itself) cannot leak or recurse.
//
//===----------------------------------------------------------------------===//
#include "trm/Import/TorchCheckpoint.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>

using namespace mlir::trm;
using llvm::StringRef;

namespace {

/// The callables and classes a state_dict pickle may name.
enum class GlobalKind {
  OrderedDict,
  RebuildTensor,   // torch._utils._rebuild_tensor
  RebuildTensorV2, // torch._utils._rebuild_tensor_v2
  RebuildTensorV3, // torch._utils._rebuild_tensor_v3
  RebuildParameter,
  RebuildParameterWithState,
  RebuildFromTypeV2, // torch._tensor._rebuild_from_type_v2
  TensorClass,       // torch.Tensor, torch.nn.parameter.Parameter
  StorageClass,      // torch.FloatStorage, ..., torch.UntypedStorage
  DTypeObject,       // torch.float32, ...
};

enum class Kind {
  None,
  Bool,
  Int,
  Float,
  Str,
  Bytes,
  Tuple,
  List,
  Dict,
  Global,
  Storage,
  Tensor
};

StringRef kindName(Kind k) {
  switch (k) {
  case Kind::None:
    return "None";
  case Kind::Bool:
    return "bool";
  case Kind::Int:
    return "int";
  case Kind::Float:
    return "float";
  case Kind::Str:
    return "str";
  case Kind::Bytes:
    return "bytes";
  case Kind::Tuple:
    return "tuple";
  case Kind::List:
    return "list";
  case Kind::Dict:
    return "dict";
  case Kind::Global:
    return "global";
  case Kind::Storage:
    return "storage";
  case Kind::Tensor:
    return "tensor";
  }
  return "?";
}

struct Value {
  Kind kind = Kind::None;
  int64_t i = 0;     // Int, Bool
  double f = 0;      // Float
  std::string s;     // Str, Bytes; Global: "module.name"
  std::vector<Value *> items;                     // Tuple, List
  std::vector<std::pair<Value *, Value *>> entries; // Dict
  // Global
  GlobalKind global = GlobalKind::OrderedDict;
  DType dtype = DType::U8; // StorageClass/DTypeObject/Storage/Tensor
  // Storage
  TorchStorageRef storage{"", DType::U8, 0};
  // Tensor
  Value *tensorStorage = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
  size_t createdAt = 0; // opcode offset, for messages
};

/// Every pickle opcode (protocols 0-5), with the names and byte values of
/// Python's pickletools. Only the ones a state_dict uses are executed; the
/// names of the others make error messages readable.
#define TRM_PICKLE_OPCODES(X)                                                  \
  X(MARK, '(')                                                                 \
  X(STOP, '.')                                                                 \
  X(POP, '0')                                                                  \
  X(POP_MARK, '1')                                                             \
  X(DUP, '2')                                                                  \
  X(FLOAT, 'F')                                                                \
  X(INT, 'I')                                                                  \
  X(BININT, 'J')                                                               \
  X(BININT1, 'K')                                                              \
  X(LONG, 'L')                                                                 \
  X(BININT2, 'M')                                                              \
  X(NONE, 'N')                                                                 \
  X(PERSID, 'P')                                                               \
  X(BINPERSID, 'Q')                                                            \
  X(REDUCE, 'R')                                                               \
  X(STRING, 'S')                                                               \
  X(BINSTRING, 'T')                                                            \
  X(SHORT_BINSTRING, 'U')                                                      \
  X(UNICODE, 'V')                                                              \
  X(BINUNICODE, 'X')                                                           \
  X(APPEND, 'a')                                                               \
  X(BUILD, 'b')                                                                \
  X(GLOBAL, 'c')                                                               \
  X(DICT, 'd')                                                                 \
  X(EMPTY_DICT, '}')                                                           \
  X(APPENDS, 'e')                                                              \
  X(GET, 'g')                                                                  \
  X(BINGET, 'h')                                                               \
  X(INST, 'i')                                                                 \
  X(LONG_BINGET, 'j')                                                          \
  X(LIST, 'l')                                                                 \
  X(EMPTY_LIST, ']')                                                           \
  X(OBJ, 'o')                                                                  \
  X(PUT, 'p')                                                                  \
  X(BINPUT, 'q')                                                               \
  X(LONG_BINPUT, 'r')                                                          \
  X(SETITEM, 's')                                                              \
  X(TUPLE, 't')                                                                \
  X(EMPTY_TUPLE, ')')                                                          \
  X(SETITEMS, 'u')                                                             \
  X(BINFLOAT, 'G')                                                             \
  X(PROTO, 0x80)                                                               \
  X(NEWOBJ, 0x81)                                                              \
  X(EXT1, 0x82)                                                                \
  X(EXT2, 0x83)                                                                \
  X(EXT4, 0x84)                                                                \
  X(TUPLE1, 0x85)                                                              \
  X(TUPLE2, 0x86)                                                              \
  X(TUPLE3, 0x87)                                                              \
  X(NEWTRUE, 0x88)                                                             \
  X(NEWFALSE, 0x89)                                                            \
  X(LONG1, 0x8a)                                                               \
  X(LONG4, 0x8b)                                                               \
  X(BINBYTES, 'B')                                                             \
  X(SHORT_BINBYTES, 'C')                                                       \
  X(SHORT_BINUNICODE, 0x8c)                                                    \
  X(BINUNICODE8, 0x8d)                                                         \
  X(BINBYTES8, 0x8e)                                                           \
  X(EMPTY_SET, 0x8f)                                                           \
  X(ADDITEMS, 0x90)                                                            \
  X(FROZENSET, 0x91)                                                           \
  X(NEWOBJ_EX, 0x92)                                                           \
  X(STACK_GLOBAL, 0x93)                                                        \
  X(MEMOIZE, 0x94)                                                             \
  X(FRAME, 0x95)                                                               \
  X(BYTEARRAY8, 0x96)                                                          \
  X(NEXT_BUFFER, 0x97)                                                         \
  X(READONLY_BUFFER, 0x98)

enum class Opcode : uint8_t {
#define TRM_OPCODE_ENUMERATOR(name, code) name = code,
  TRM_PICKLE_OPCODES(TRM_OPCODE_ENUMERATOR)
#undef TRM_OPCODE_ENUMERATOR
};

/// The pickletools name of a byte, or null when it is not an opcode.
const char *opcodeName(uint8_t op) {
  switch (static_cast<Opcode>(op)) {
#define TRM_OPCODE_NAME(name, code)                                            \
  case Opcode::name:                                                           \
    return #name;
    TRM_PICKLE_OPCODES(TRM_OPCODE_NAME)
#undef TRM_OPCODE_NAME
  }
  return nullptr;
}

std::string describeOpcode(uint8_t op) {
  const char *name = opcodeName(op);
  std::string s = llvm::formatv("0x{0:x-2}", static_cast<unsigned>(op)).str();
  if (op >= 0x20 && op < 0x7f)
    s += llvm::formatv(" '{0}'", static_cast<char>(op)).str();
  s += name ? std::string(" (") + name + ")" : std::string(" (not a pickle opcode)");
  return s;
}

std::optional<DType> storageClassDType(StringRef name) {
  static const std::pair<const char *, DType> table[] = {
      {"FloatStorage", DType::F32},    {"DoubleStorage", DType::F64},
      {"HalfStorage", DType::F16},     {"BFloat16Storage", DType::BF16},
      {"LongStorage", DType::I64},     {"IntStorage", DType::I32},
      {"ShortStorage", DType::I16},    {"CharStorage", DType::I8},
      {"ByteStorage", DType::U8},      {"BoolStorage", DType::Bool},
      {"UntypedStorage", DType::U8},   {"_UntypedStorage", DType::U8}};
  for (auto &[n, d] : table)
    if (name == n)
      return d;
  return std::nullopt;
}

std::optional<DType> torchDTypeByName(StringRef name) {
  static const std::pair<const char *, DType> table[] = {
      {"float32", DType::F32}, {"float", DType::F32},    {"float64", DType::F64},
      {"double", DType::F64},  {"float16", DType::F16},  {"half", DType::F16},
      {"bfloat16", DType::BF16}, {"int64", DType::I64},  {"long", DType::I64},
      {"int32", DType::I32},   {"int", DType::I32},      {"int16", DType::I16},
      {"short", DType::I16},   {"int8", DType::I8},      {"uint8", DType::U8},
      {"bool", DType::Bool}};
  for (auto &[n, d] : table)
    if (name == n)
      return d;
  return std::nullopt;
}

class Unpickler {
public:
  Unpickler(llvm::ArrayRef<uint8_t> data, StringRef file)
      : data(data), file(file) {}

  llvm::Expected<Value *> run();

private:
  llvm::ArrayRef<uint8_t> data;
  StringRef file;
  size_t pos = 0;
  size_t opStart = 0; // offset of the opcode being executed
  uint8_t op = 0;
  std::vector<std::unique_ptr<Value>> arena;
  std::vector<Value *> stack;
  std::vector<size_t> marks;
  std::unordered_map<uint64_t, Value *> memo;

  Value *make(Kind kind) {
    arena.push_back(std::make_unique<Value>());
    arena.back()->kind = kind;
    arena.back()->createdAt = opStart;
    return arena.back().get();
  }

  llvm::Error error(const llvm::Twine &msg) {
    return fileError(file, llvm::formatv("offset {0}: opcode {1}: ", opStart,
                                         describeOpcode(op))
                                   .str() +
                               msg);
  }

  llvm::Error need(uint64_t n) {
    if (n > data.size() - pos)
      return error(llvm::formatv("truncated: needs {0} more bytes, {1} left", n,
                                 data.size() - pos));
    return llvm::Error::success();
  }
  llvm::Expected<uint64_t> readLE(unsigned bytes) {
    if (auto err = need(bytes))
      return std::move(err);
    uint64_t v = 0;
    for (unsigned k = 0; k < bytes; ++k)
      v |= uint64_t(data[pos + k]) << (8 * k);
    pos += bytes;
    return v;
  }
  llvm::Expected<StringRef> readBytes(uint64_t n) {
    if (auto err = need(n))
      return std::move(err);
    StringRef s(reinterpret_cast<const char *>(data.data() + pos), n);
    pos += n;
    return s;
  }
  llvm::Expected<StringRef> readLine() {
    const uint8_t *begin = data.data() + pos;
    size_t left = data.size() - pos;
    const void *nl = std::memchr(begin, '\n', left);
    if (!nl)
      return error("truncated: no end of line");
    size_t len = static_cast<const uint8_t *>(nl) - begin;
    pos += len + 1;
    return StringRef(reinterpret_cast<const char *>(begin), len);
  }

  llvm::Expected<Value *> pop() {
    if (stack.empty() || (!marks.empty() && stack.size() <= marks.back()))
      return error("stack underflow");
    Value *v = stack.back();
    stack.pop_back();
    return v;
  }
  llvm::Expected<Value *> top() {
    if (stack.empty() || (!marks.empty() && stack.size() <= marks.back()))
      return error("stack underflow");
    return stack.back();
  }
  llvm::Expected<std::vector<Value *>> popMark() {
    if (marks.empty())
      return error("no MARK on the stack");
    size_t m = marks.back();
    marks.pop_back();
    std::vector<Value *> items(stack.begin() + m, stack.end());
    stack.resize(m);
    return items;
  }

  llvm::Error pushString(StringRef s, Kind kind) {
    if (kind == Kind::Str && !llvm::json::isUTF8(s))
      return error("string is not valid UTF-8");
    Value *v = make(kind);
    v->s = s.str();
    stack.push_back(v);
    return llvm::Error::success();
  }
  llvm::Error pushInt(int64_t i) {
    Value *v = make(Kind::Int);
    v->i = i;
    stack.push_back(v);
    return llvm::Error::success();
  }
  llvm::Error pushLong(StringRef bytes);
  llvm::Error pushGlobal(StringRef module, StringRef name);
  llvm::Error memoPut(uint64_t index);
  llvm::Error memoGet(uint64_t index);
  llvm::Expected<Value *> call(Value *callable, Value *args);
  llvm::Expected<Value *> persistentLoad(Value *pid);
  llvm::Expected<Value *> rebuildTensor(llvm::ArrayRef<Value *> args,
                                        std::optional<DType> dtype,
                                        StringRef what);
  llvm::Expected<std::vector<int64_t>> intTuple(Value *v, StringRef what);
  llvm::Error step(bool &stop);
  // step's opcodes, by kind.
  llvm::Error stepControl(Opcode code, bool &stop);
  llvm::Error stepStackOrMemo(Opcode code);
  llvm::Error stepNumber(Opcode code);
  llvm::Error stepString(Opcode code);
  llvm::Error stepNewContainer(Opcode code);
  llvm::Error stepFillContainer(Opcode code);
  llvm::Error stepObject(Opcode code);
  llvm::Error stepPersistentId();
};

llvm::Error Unpickler::pushLong(StringRef bytes) {
  // Two's complement little-endian, any length; must fit in int64.
  if (bytes.empty())
    return pushInt(0);
  bool negative = static_cast<uint8_t>(bytes.back()) & 0x80;
  uint8_t fill = negative ? 0xff : 0x00;
  for (size_t k = 8; k < bytes.size(); ++k)
    if (static_cast<uint8_t>(bytes[k]) != fill)
      return error("integer does not fit in 64 bits");
  uint64_t v = negative ? ~uint64_t(0) : 0;
  for (size_t k = 0; k < std::min<size_t>(8, bytes.size()); ++k) {
    v &= ~(uint64_t(0xff) << (8 * k));
    v |= uint64_t(static_cast<uint8_t>(bytes[k])) << (8 * k);
  }
  int64_t s;
  std::memcpy(&s, &v, 8);
  if (bytes.size() >= 8 && ((s < 0) != negative))
    return error("integer does not fit in 64 bits");
  return pushInt(s);
}

llvm::Error Unpickler::pushGlobal(StringRef module, StringRef name) {
  Value *v = make(Kind::Global);
  v->s = (module + "." + name).str();
  auto is = [&](StringRef m, StringRef n) { return module == m && name == n; };
  if (is("collections", "OrderedDict") || is("builtins", "dict") ||
      is("__builtin__", "dict"))
    v->global = GlobalKind::OrderedDict;
  else if (is("torch._utils", "_rebuild_tensor"))
    v->global = GlobalKind::RebuildTensor;
  else if (is("torch._utils", "_rebuild_tensor_v2"))
    v->global = GlobalKind::RebuildTensorV2;
  else if (is("torch._utils", "_rebuild_tensor_v3"))
    v->global = GlobalKind::RebuildTensorV3;
  else if (is("torch._utils", "_rebuild_parameter"))
    v->global = GlobalKind::RebuildParameter;
  else if (is("torch._utils", "_rebuild_parameter_with_state"))
    v->global = GlobalKind::RebuildParameterWithState;
  else if (is("torch._tensor", "_rebuild_from_type_v2"))
    v->global = GlobalKind::RebuildFromTypeV2;
  else if (is("torch", "Tensor") || is("torch._tensor", "Tensor") ||
           is("torch.nn.parameter", "Parameter"))
    v->global = GlobalKind::TensorClass;
  else if ((module == "torch" || module == "torch.storage" ||
            module == "torch.cuda") &&
           storageClassDType(name)) {
    v->global = GlobalKind::StorageClass;
    v->dtype = *storageClassDType(name);
  } else if (module == "torch" && torchDTypeByName(name)) {
    v->global = GlobalKind::DTypeObject;
    v->dtype = *torchDTypeByName(name);
  } else {
    return error("global '" + module + "." + name +
                 "' is not supported (a state_dict pickle names only "
                 "collections.OrderedDict, torch._utils rebuild functions, "
                 "torch storage classes and dtypes)");
  }
  stack.push_back(v);
  return llvm::Error::success();
}

llvm::Error Unpickler::memoPut(uint64_t index) {
  auto t = top();
  if (!t)
    return t.takeError();
  memo[index] = *t;
  return llvm::Error::success();
}

llvm::Error Unpickler::memoGet(uint64_t index) {
  auto it = memo.find(index);
  if (it == memo.end())
    return error(llvm::formatv("memo entry {0} was never stored", index));
  stack.push_back(it->second);
  return llvm::Error::success();
}

llvm::Expected<std::vector<int64_t>> Unpickler::intTuple(Value *v,
                                                         StringRef what) {
  if (v->kind != Kind::Tuple && v->kind != Kind::List)
    return error(what + " must be a tuple of ints, got a " + kindName(v->kind));
  std::vector<int64_t> out;
  for (Value *item : v->items) {
    if (item->kind != Kind::Int)
      return error(what + " must be a tuple of ints, has a " +
                   kindName(item->kind));
    out.push_back(item->i);
  }
  return out;
}

llvm::Expected<Value *> Unpickler::persistentLoad(Value *pid) {
  // ('storage', storage_type, key, location, numel)
  if (pid->kind != Kind::Tuple || pid->items.size() < 5 ||
      pid->items[0]->kind != Kind::Str || pid->items[0]->s != "storage")
    return error("persistent id is not a ('storage', type, key, location, "
                 "numel) tuple");
  Value *type = pid->items[1], *key = pid->items[2], *numel = pid->items[4];
  if (type->kind != Kind::Global || type->global != GlobalKind::StorageClass)
    return error("persistent id: storage type is a " + kindName(type->kind) +
                 (type->kind == Kind::Global ? " '" + type->s + "'" : "") +
                 ", not a torch storage class");
  if (key->kind != Kind::Str)
    return error("persistent id: storage key is not a string");
  if (pid->items[3]->kind != Kind::Str)
    return error("persistent id: storage location is not a string");
  if (numel->kind != Kind::Int || numel->i < 0)
    return error("persistent id: storage size is not a non-negative int");
  Value *s = make(Kind::Storage);
  s->storage = {key->s, type->dtype, numel->i};
  // A trailing dtype (seen with UntypedStorage) overrides the element type.
  if (pid->items.size() > 5 && pid->items[5]->kind == Kind::Global &&
      pid->items[5]->global == GlobalKind::DTypeObject &&
      type->dtype == DType::U8)
    s->storage.dtype = pid->items[5]->dtype;
  return s;
}

llvm::Expected<Value *>
Unpickler::rebuildTensor(llvm::ArrayRef<Value *> args,
                         std::optional<DType> dtype, StringRef what) {
  if (args.size() < 4)
    return error(what + ": expected at least 4 arguments, got " +
                 llvm::Twine(args.size()));
  if (args[0]->kind != Kind::Storage)
    return error(what + ": argument 1 is a " + kindName(args[0]->kind) +
                 ", not a storage");
  if (args[1]->kind != Kind::Int || args[1]->i < 0)
    return error(what + ": storage offset is not a non-negative int");
  auto sizes = intTuple(args[2], (what + ": size").str());
  if (!sizes)
    return sizes.takeError();
  auto strides = intTuple(args[3], (what + ": stride").str());
  if (!strides)
    return strides.takeError();
  if (sizes->size() != strides->size())
    return error(what + llvm::formatv(": size has {0} dimensions but stride {1}",
                                      sizes->size(), strides->size()));
  Value *t = make(Kind::Tensor);
  t->tensorStorage = args[0];
  t->offset = args[1]->i;
  t->sizes = std::move(*sizes);
  t->strides = std::move(*strides);
  t->dtype = dtype.value_or(args[0]->storage.dtype);
  return t;
}

llvm::Expected<Value *> Unpickler::call(Value *callable, Value *args) {
  if (callable->kind != Kind::Global)
    return error("called object is a " + kindName(callable->kind) +
                 ", not a supported global");
  if (args->kind != Kind::Tuple)
    return error("arguments are a " + kindName(args->kind) + ", not a tuple");
  llvm::ArrayRef<Value *> a = args->items;
  const std::string &name = callable->s;
  switch (callable->global) {
  case GlobalKind::OrderedDict: {
    Value *d = make(Kind::Dict);
    if (a.empty())
      return d;
    if (a.size() == 1 && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple)) {
      for (Value *pair : a[0]->items) {
        if (pair->kind != Kind::Tuple || pair->items.size() != 2)
          return error(name + ": items must be (key, value) pairs");
        d->entries.push_back({pair->items[0], pair->items[1]});
      }
      return d;
    }
    if (a.size() == 1 && a[0]->kind == Kind::Dict) {
      d->entries = a[0]->entries;
      return d;
    }
    return error(name + ": unsupported arguments");
  }
  case GlobalKind::RebuildTensor:
  case GlobalKind::RebuildTensorV2:
    return rebuildTensor(a, std::nullopt, name);
  case GlobalKind::RebuildTensorV3: {
    // (storage, offset, size, stride, requires_grad, hooks, dtype, ...)
    if (a.size() < 7 || a[6]->kind != Kind::Global ||
        a[6]->global != GlobalKind::DTypeObject)
      return error(name + ": argument 7 is not a torch dtype");
    return rebuildTensor(a, a[6]->dtype, name);
  }
  case GlobalKind::RebuildParameter:
  case GlobalKind::RebuildParameterWithState:
    if (a.empty() || a[0]->kind != Kind::Tensor)
      return error(name + ": argument 1 is not a tensor");
    return a[0];
  case GlobalKind::RebuildFromTypeV2: {
    // (func, new_type, args, state): func(*args), then a type change that
    // does not matter for plain tensors and parameters.
    if (a.size() < 3 || a[0]->kind != Kind::Global ||
        a[0]->global == GlobalKind::RebuildFromTypeV2)
      return error(name + ": unsupported arguments");
    if (a[1]->kind != Kind::Global || a[1]->global != GlobalKind::TensorClass)
      return error(name + ": tensor subclasses are not supported");
    return call(a[0], a[2]);
  }
  case GlobalKind::TensorClass:
  case GlobalKind::StorageClass:
  case GlobalKind::DTypeObject:
    break;
  }
  return error("'" + name + "' cannot be called here");
}

llvm::Error Unpickler::step(bool &stop) {
  opStart = pos;
  op = data[pos++];
  Opcode code = static_cast<Opcode>(op);
  switch (code) {
  case Opcode::PROTO:
  case Opcode::FRAME:
  case Opcode::STOP:
    return stepControl(code, stop);
  case Opcode::MARK:
  case Opcode::POP:
  case Opcode::POP_MARK:
  case Opcode::DUP:
  case Opcode::BINPUT:
  case Opcode::LONG_BINPUT:
  case Opcode::MEMOIZE:
  case Opcode::BINGET:
  case Opcode::LONG_BINGET:
    return stepStackOrMemo(code);
  case Opcode::NONE:
  case Opcode::NEWTRUE:
  case Opcode::NEWFALSE:
  case Opcode::BININT:
  case Opcode::BININT1:
  case Opcode::BININT2:
  case Opcode::LONG1:
  case Opcode::LONG4:
  case Opcode::BINFLOAT:
    return stepNumber(code);
  case Opcode::BINUNICODE:
  case Opcode::SHORT_BINUNICODE:
  case Opcode::BINUNICODE8:
  case Opcode::BINSTRING:
  case Opcode::SHORT_BINSTRING:
  case Opcode::BINBYTES:
  case Opcode::SHORT_BINBYTES:
  case Opcode::BINBYTES8:
    return stepString(code);
  case Opcode::EMPTY_DICT:
  case Opcode::EMPTY_LIST:
  case Opcode::EMPTY_TUPLE:
  case Opcode::TUPLE:
  case Opcode::TUPLE1:
  case Opcode::TUPLE2:
  case Opcode::TUPLE3:
  case Opcode::LIST:
  case Opcode::DICT:
    return stepNewContainer(code);
  case Opcode::APPEND:
  case Opcode::APPENDS:
  case Opcode::SETITEM:
  case Opcode::SETITEMS:
    return stepFillContainer(code);
  case Opcode::GLOBAL:
  case Opcode::STACK_GLOBAL:
  case Opcode::REDUCE:
  case Opcode::NEWOBJ:
  case Opcode::BUILD:
    return stepObject(code);
  case Opcode::BINPERSID:
    return stepPersistentId();
  default:
    return error("not supported (only the opcodes a state_dict uses are)");
  }
}

llvm::Error Unpickler::stepControl(Opcode code, bool &stop) {
  switch (code) {
  case Opcode::PROTO: {
    auto v = readLE(1);
    if (!v)
      return v.takeError();
    if (*v > 5)
      return error(llvm::formatv("unsupported protocol {0}", *v));
    return llvm::Error::success();
  }
  case Opcode::FRAME: { // Framing is only a hint for buffered readers.
    auto n = readLE(8);
    if (!n)
      return n.takeError();
    return need(*n);
  }
  case Opcode::STOP:
    stop = true;
    return llvm::Error::success();
  default:
    llvm_unreachable("not a control opcode");
  }
}

llvm::Error Unpickler::stepStackOrMemo(Opcode code) {
  switch (code) {
  case Opcode::MARK:
    marks.push_back(stack.size());
    return llvm::Error::success();
  case Opcode::POP:
    if (!marks.empty() && marks.back() == stack.size()) {
      marks.pop_back(); // Python's POP discards a mark on top as well.
      return llvm::Error::success();
    }
    return pop().takeError();
  case Opcode::POP_MARK:
    return popMark().takeError();
  case Opcode::DUP: {
    auto t = top();
    if (!t)
      return t.takeError();
    stack.push_back(*t);
    return llvm::Error::success();
  }
  case Opcode::MEMOIZE:
    return memoPut(memo.size());
  case Opcode::BINPUT:
  case Opcode::LONG_BINPUT:
  case Opcode::BINGET:
  case Opcode::LONG_BINGET: {
    bool wide = code == Opcode::LONG_BINPUT || code == Opcode::LONG_BINGET;
    auto idx = readLE(wide ? 4 : 1);
    if (!idx)
      return idx.takeError();
    if (code == Opcode::BINPUT || code == Opcode::LONG_BINPUT)
      return memoPut(*idx);
    return memoGet(*idx);
  }
  default:
    llvm_unreachable("not a stack or memo opcode");
  }
}

llvm::Error Unpickler::stepNumber(Opcode code) {
  switch (code) {
  case Opcode::NONE:
    stack.push_back(make(Kind::None));
    return llvm::Error::success();
  case Opcode::NEWTRUE:
  case Opcode::NEWFALSE: {
    Value *v = make(Kind::Bool);
    v->i = code == Opcode::NEWTRUE;
    stack.push_back(v);
    return llvm::Error::success();
  }
  case Opcode::BININT: {
    auto v = readLE(4);
    if (!v)
      return v.takeError();
    return pushInt(static_cast<int32_t>(static_cast<uint32_t>(*v)));
  }
  case Opcode::BININT1:
  case Opcode::BININT2: {
    auto v = readLE(code == Opcode::BININT1 ? 1 : 2);
    if (!v)
      return v.takeError();
    return pushInt(static_cast<int64_t>(*v));
  }
  case Opcode::LONG1:
  case Opcode::LONG4: {
    auto n = readLE(code == Opcode::LONG1 ? 1 : 4);
    if (!n)
      return n.takeError();
    if (code == Opcode::LONG4 && static_cast<int32_t>(*n) < 0)
      return error("negative length");
    auto bytes = readBytes(*n);
    if (!bytes)
      return bytes.takeError();
    return pushLong(*bytes);
  }
  case Opcode::BINFLOAT: { // Big-endian.
    auto bytes = readBytes(8);
    if (!bytes)
      return bytes.takeError();
    uint64_t bits = llvm::support::endian::read64be(bytes->data());
    Value *v = make(Kind::Float);
    std::memcpy(&v->f, &bits, 8);
    stack.push_back(v);
    return llvm::Error::success();
  }
  default:
    llvm_unreachable("not a number opcode");
  }
}

llvm::Error Unpickler::stepString(Opcode code) {
  // A length prefix of 1, 4 or 8 bytes, then the bytes.
  unsigned width = 4;
  if (code == Opcode::SHORT_BINUNICODE || code == Opcode::SHORT_BINSTRING ||
      code == Opcode::SHORT_BINBYTES)
    width = 1;
  else if (code == Opcode::BINUNICODE8 || code == Opcode::BINBYTES8)
    width = 8;
  auto n = readLE(width);
  if (!n)
    return n.takeError();
  if (code == Opcode::BINSTRING && static_cast<int32_t>(*n) < 0)
    return error("negative length");
  auto bytes = readBytes(*n);
  if (!bytes)
    return bytes.takeError();
  bool isBytes = code == Opcode::BINBYTES || code == Opcode::SHORT_BINBYTES ||
                 code == Opcode::BINBYTES8;
  return pushString(*bytes, isBytes ? Kind::Bytes : Kind::Str);
}

llvm::Error Unpickler::stepNewContainer(Opcode code) {
  switch (code) {
  case Opcode::EMPTY_DICT:
    stack.push_back(make(Kind::Dict));
    return llvm::Error::success();
  case Opcode::EMPTY_LIST:
    stack.push_back(make(Kind::List));
    return llvm::Error::success();
  case Opcode::EMPTY_TUPLE:
    stack.push_back(make(Kind::Tuple));
    return llvm::Error::success();
  case Opcode::TUPLE1:
  case Opcode::TUPLE2:
  case Opcode::TUPLE3: {
    size_t n = op - static_cast<uint8_t>(Opcode::TUPLE1) + 1;
    Value *v = make(Kind::Tuple);
    v->items.resize(n);
    for (size_t k = 0; k < n; ++k) {
      auto item = pop();
      if (!item)
        return item.takeError();
      v->items[n - 1 - k] = *item;
    }
    stack.push_back(v);
    return llvm::Error::success();
  }
  case Opcode::TUPLE:
  case Opcode::LIST:
  case Opcode::DICT: {
    auto items = popMark();
    if (!items)
      return items.takeError();
    Value *v = make(code == Opcode::TUPLE  ? Kind::Tuple
                    : code == Opcode::LIST ? Kind::List
                                           : Kind::Dict);
    if (code != Opcode::DICT) {
      v->items = std::move(*items);
    } else {
      if (items->size() % 2)
        return error("odd number of items for a dict");
      for (size_t k = 0; k < items->size(); k += 2)
        v->entries.push_back({(*items)[k], (*items)[k + 1]});
    }
    stack.push_back(v);
    return llvm::Error::success();
  }
  default:
    llvm_unreachable("not a container opcode");
  }
}

llvm::Error Unpickler::stepFillContainer(Opcode code) {
  // The new items: one (APPEND), a key and a value (SETITEM), or all above
  // the topmost mark (APPENDS, SETITEMS).
  std::vector<Value *> items;
  if (code == Opcode::APPENDS || code == Opcode::SETITEMS) {
    auto marked = popMark();
    if (!marked)
      return marked.takeError();
    items = std::move(*marked);
    if (code == Opcode::SETITEMS && items.size() % 2)
      return error("odd number of items for SETITEMS");
  } else {
    items.resize(code == Opcode::SETITEM ? 2 : 1);
    for (size_t k = items.size(); k-- > 0;) {
      auto item = pop();
      if (!item)
        return item.takeError();
      items[k] = *item;
    }
  }
  auto target = top();
  if (!target)
    return target.takeError();
  Value *t = *target;
  bool toList = code == Opcode::APPEND || code == Opcode::APPENDS;
  if (t->kind != (toList ? Kind::List : Kind::Dict))
    return error(llvm::Twine(opcodeName(op)) + " target is a " +
                 kindName(t->kind) +
                 (toList ? ", not a list" : ", not a dict"));
  if (toList) {
    t->items.insert(t->items.end(), items.begin(), items.end());
    return llvm::Error::success();
  }
  for (size_t k = 0; k < items.size(); k += 2)
    t->entries.push_back({items[k], items[k + 1]});
  return llvm::Error::success();
}

llvm::Error Unpickler::stepObject(Opcode code) {
  switch (code) {
  case Opcode::GLOBAL: {
    auto module = readLine();
    if (!module)
      return module.takeError();
    auto name = readLine();
    if (!name)
      return name.takeError();
    return pushGlobal(*module, *name);
  }
  case Opcode::STACK_GLOBAL: {
    auto name = pop();
    if (!name)
      return name.takeError();
    auto module = pop();
    if (!module)
      return module.takeError();
    if ((*name)->kind != Kind::Str || (*module)->kind != Kind::Str)
      return error("module and name must be strings");
    return pushGlobal((*module)->s, (*name)->s);
  }
  case Opcode::REDUCE: {
    auto args = pop();
    if (!args)
      return args.takeError();
    auto callable = pop();
    if (!callable)
      return callable.takeError();
    auto result = call(*callable, *args);
    if (!result)
      return result.takeError();
    stack.push_back(*result);
    return llvm::Error::success();
  }
  case Opcode::NEWOBJ: { // cls.__new__(cls, *args)
    auto args = pop();
    if (!args)
      return args.takeError();
    auto cls = pop();
    if (!cls)
      return cls.takeError();
    if ((*cls)->kind != Kind::Global ||
        (*cls)->global != GlobalKind::OrderedDict)
      return error("only OrderedDict objects can be created");
    stack.push_back(make(Kind::Dict));
    return llvm::Error::success();
  }
  case Opcode::BUILD: {
    auto state = pop();
    if (!state)
      return state.takeError();
    auto target = top();
    if (!target)
      return target.takeError();
    // OrderedDict._metadata and Parameter state carry nothing we need.
    if ((*target)->kind != Kind::Dict && (*target)->kind != Kind::Tensor)
      return error("BUILD target is a " + kindName((*target)->kind));
    return llvm::Error::success();
  }
  default:
    llvm_unreachable("not a global, call or build opcode");
  }
}

llvm::Error Unpickler::stepPersistentId() { // BINPERSID
  auto pid = pop();
  if (!pid)
    return pid.takeError();
  auto storage = persistentLoad(*pid);
  if (!storage)
    return storage.takeError();
  stack.push_back(*storage);
  return llvm::Error::success();
}

llvm::Expected<Value *> Unpickler::run() {
  bool stop = false;
  while (!stop) {
    if (pos >= data.size()) {
      opStart = pos;
      return fileError(file, llvm::formatv("offset {0}: truncated pickle "
                                           "(no STOP opcode)",
                                           pos)
                                 .str());
    }
    if (auto err = step(stop))
      return std::move(err);
  }
  if (stack.empty())
    return error("stack is empty at STOP");
  if (!marks.empty())
    return error("unbalanced MARK at STOP");
  return stack.back();
}

/// Gathers the elements of a strided view into dense C order.
void gather(const uint8_t *storage, size_t elem, int64_t offset,
            llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides,
            uint8_t *out) {
  const size_t rank = sizes.size();
  std::vector<int64_t> index(rank, 0);
  int64_t numel = 1;
  for (int64_t s : sizes)
    numel *= s;
  int64_t src = offset;
  for (int64_t n = 0; n < numel; ++n) {
    std::memcpy(out + n * elem, storage + src * elem, elem);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < sizes[d]) {
        src += strides[d];
        break;
      }
      src -= (sizes[d] - 1) * strides[d];
      index[d] = 0;
    }
  }
}

void byteSwap(std::vector<uint8_t> &bytes, size_t elem) {
  if (elem == 1)
    return;
  for (size_t k = 0; k + elem <= bytes.size(); k += elem)
    std::reverse(bytes.begin() + k, bytes.begin() + k + elem);
}

} // namespace

namespace {
/// Turns the unpickled dict into tensors: each storage loaded once and
/// checked against the pickle's declaration, each view checked against its
/// storage and materialised in C order.
class StateDictReader {
public:
  StateDictReader(StringRef file, const TorchStorageLoader &loadStorage,
                  bool bigEndian)
      : file(file), loadStorage(loadStorage), bigEndian(bigEndian) {}

  llvm::Expected<std::vector<Tensor>> read(const Value &dict);

private:
  struct Loaded {
    TorchStorageRef ref;
    TorchStorageBytes bytes;
  };
  using TensorError = llvm::function_ref<llvm::Error(const llvm::Twine &)>;

  /// The bytes of the storage `ref` names, loaded on first use; a storage
  /// shared by several tensors must be referenced consistently.
  llvm::Expected<TorchStorageBytes *> storageOf(const TorchStorageRef &ref,
                                                TensorError tensorError);
  /// The tensor `key` views of its storage.
  llvm::Expected<Tensor> tensorOf(const std::string &key, const Value &t);

  StringRef file;
  const TorchStorageLoader &loadStorage;
  bool bigEndian;
  llvm::StringMap<Loaded> storages;
  // Storages used by a single tensor can be handed over instead of copied
  // (a real ARC checkpoint's puzzle embedding alone is ~1.8 GB).
  llvm::StringMap<unsigned> users;
};

llvm::Expected<TorchStorageBytes *>
StateDictReader::storageOf(const TorchStorageRef &ref,
                           TensorError tensorError) {
  auto it = storages.find(ref.key);
  if (it == storages.end()) {
    std::optional<uint64_t> expected =
        checkedByteSize({ref.numElements}, ref.dtype);
    if (!expected)
      return tensorError("storage '" + ref.key + "' size overflows");
    llvm::Expected<TorchStorageBytes> bytes = loadStorage(ref);
    if (!bytes)
      return bytes.takeError();
    if (bytes->bytes().size() != *expected)
      return tensorError(llvm::formatv(
          "storage '{0}' has {1} bytes, but the pickle declares {2} {3} "
          "elements ({4} bytes)",
          ref.key, bytes->bytes().size(), ref.numElements,
          dtypeName(ref.dtype), *expected));
    it = storages.try_emplace(ref.key, Loaded{ref, std::move(*bytes)}).first;
  } else if (it->second.ref.dtype != ref.dtype ||
             it->second.ref.numElements != ref.numElements) {
    return tensorError("storage '" + ref.key +
                       "' is referenced with two different types or sizes");
  }
  return &it->second.bytes;
}

llvm::Expected<Tensor> StateDictReader::tensorOf(const std::string &key,
                                                 const Value &t) {
  const TorchStorageRef &ref = t.tensorStorage->storage;
  auto tensorError = [&](const llvm::Twine &msg) -> llvm::Error {
    return fileError(file, "tensor '" + key + "': " + msg);
  };
  llvm::Expected<TorchStorageBytes *> loaded = storageOf(ref, tensorError);
  if (!loaded)
    return loaded.takeError();
  TorchStorageBytes &loadedStorage = **loaded;
  llvm::ArrayRef<uint8_t> storage = loadedStorage.bytes();

  const size_t elem = dtypeSize(t.dtype);
  if (storage.size() % elem)
    return tensorError(llvm::formatv(
        "storage '{0}' of {1} bytes does not hold whole {2} elements",
        ref.key, storage.size(), dtypeName(t.dtype)));
  const int64_t storageElems = static_cast<int64_t>(storage.size() / elem);
  for (size_t d = 0; d < t.sizes.size(); ++d) {
    if (t.sizes[d] < 0)
      return tensorError("negative size " + formatShape(t.sizes));
    if (t.strides[d] < 0)
      return tensorError("negative stride in " + formatShape(t.strides));
  }
  std::optional<int64_t> numel = checkedNumElements(t.sizes);
  if (!numel)
    return tensorError("shape " + formatShape(t.sizes) + " overflows");

  Tensor out;
  out.name = key;
  out.dtype = t.dtype;
  out.shape = t.sizes;
  if (*numel == 0)
    return out;
  // The last element the view touches must lie inside the storage.
  int64_t last = t.offset;
  bool overflow = false;
  for (size_t d = 0; d < t.sizes.size(); ++d) {
    int64_t span;
    overflow |= __builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &span);
    overflow |= __builtin_add_overflow(last, span, &last);
  }
  if (overflow || last >= storageElems)
    return tensorError(llvm::formatv(
        "view (offset {0}, shape {1}, strides {2}) reaches past the end "
        "of storage '{3}' ({4} elements)",
        t.offset, formatShape(t.sizes), formatShape(t.strides), ref.key,
        storageElems));
  if (*numel > storageElems)
    return tensorError(llvm::formatv(
        "view (shape {0}, strides {1}) has more elements than storage "
        "'{2}' ({3}): broadcast views are not supported",
        formatShape(t.sizes), formatShape(t.strides), ref.key, storageElems));
  const size_t bytes = static_cast<size_t>(*numel) * elem;
  bool contiguous = true;
  int64_t expectedStride = 1;
  for (size_t d = t.sizes.size(); d-- > 0;) {
    if (t.sizes[d] != 1 && t.strides[d] != expectedStride)
      contiguous = false;
    expectedStride *= t.sizes[d];
  }
  if (contiguous && loadedStorage.mapping && !bigEndian) {
    out.mapping = loadedStorage.mapping;
    out.mapped = storage.slice(t.offset * elem, bytes);
    return out;
  }
  if (contiguous && t.offset == 0 && bytes == storage.size() &&
      users[ref.key] == 1 && !loadedStorage.mapping) {
    out.data = std::move(loadedStorage.owned);
    loadedStorage.owned.clear();
  } else {
    out.data.resize(bytes);
    if (contiguous)
      std::memcpy(out.data.data(), storage.data() + t.offset * elem, bytes);
    else // Non-contiguous views are materialised in C order.
      gather(storage.data(), elem, t.offset, t.sizes, t.strides,
             out.data.data());
  }
  if (bigEndian)
    byteSwap(out.data, elem);
  return out;
}

llvm::Expected<std::vector<Tensor>>
StateDictReader::read(const Value &dict) {
  for (auto &entry : dict.entries)
    if (entry.second->kind == Kind::Tensor)
      ++users[entry.second->tensorStorage->storage.key];
  llvm::StringMap<size_t> seen;
  std::vector<Tensor> tensors;
  for (auto &[keyValue, value] : dict.entries) {
    if (keyValue->kind != Kind::Str)
      return fileError(file, "state_dict key is a " + kindName(keyValue->kind) +
                                 ", not a string");
    const std::string &key = keyValue->s;
    if (value->kind != Kind::Tensor)
      return fileError(file, "key '" + key + "': value is a " +
                                 kindName(value->kind) + ", not a tensor");
    if (!seen.try_emplace(key, tensors.size()).second)
      return fileError(file, "key '" + key + "' appears twice");
    llvm::Expected<Tensor> tensor = tensorOf(key, *value);
    if (!tensor)
      return tensor.takeError();
    tensors.push_back(std::move(*tensor));
  }
  return tensors;
}
} // namespace

llvm::Expected<std::vector<Tensor>>
mlir::trm::unpickleStateDict(llvm::ArrayRef<uint8_t> pickle, StringRef file,
                             const TorchStorageLoader &loadStorage,
                             bool bigEndian) {
  Unpickler machine(pickle, file);
  llvm::Expected<Value *> root = machine.run();
  if (!root)
    return root.takeError();
  if ((*root)->kind != Kind::Dict)
    return fileError(file, "the pickled object is a " +
                               kindName((*root)->kind) +
                               ", not a state_dict (a dict of tensors)");
  return StateDictReader(file, loadStorage, bigEndian).read(**root);
}
