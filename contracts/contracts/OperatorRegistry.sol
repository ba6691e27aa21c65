// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IOperatorRegistry} from "./interfaces/IOperatorRegistry.sol";
import {OpgHashes} from "./libraries/OpgHashes.sol";

/// @title OperatorRegistry
/// @notice Staked executors and verifiers of opg.
/// - An operator (owner address) stakes native ETH under one role and binds a signing key with a proof of
///   possession (`SignerBinding` EIP-712 signature by the key, domain {"opg", "1", chainId, this}).
/// - The verifier set (ordered signer keys) and f are identified by
///   `configDigest = keccak256(abi.encode(chainId, this, configCount, signers, f))`; `configCount` increases on
///   every change (admin reconfiguration, a member unbonding, rotating its key or being slashed), so
///   signatures over an old digest stop counting.
/// - Unbonding takes `unbondingDelay > challengeWindow`; stake stays slashable until withdrawn, and a retired key
///   stays slashable for `challengeWindow` after retirement.
/// - Only the hub slashes, after verifying evidence. The whole stake is slashed; `challengerShareBps` of it
///   (at most MAX_CHALLENGER_SHARE_BPS, 10 %) is credited to the challenger and the rest to the treasury (pull
///   payments via {claim}): an operator that reports itself, from any address, still loses at least 90 %.
/// - A verifier whose stake falls below the minimum (`setMinStakes`) leaves the set, so only staked members
///   count towards a quorum.
contract OperatorRegistry is IOperatorRegistry, EIP712, Ownable2Step, ReentrancyGuardTransient {
    /// @notice Executor role.
    uint8 public constant ROLE_EXECUTOR = 1;
    /// @notice Verifier role.
    uint8 public constant ROLE_VERIFIER = 2;
    /// @notice Operator status: no record.
    uint8 public constant STATUS_NONE = 0;
    /// @notice Operator status: active.
    uint8 public constant STATUS_ACTIVE = 1;
    /// @notice Operator status: unbonding.
    uint8 public constant STATUS_UNBONDING = 2;
    /// @notice Largest verifier set.
    uint256 public constant MAX_VERIFIERS = 64;
    /// @notice Basis-point denominator.
    uint16 public constant BPS = 10_000;
    /// @notice Largest challenger share of a slashed stake (a bounty, so that self-reporting never pays).
    uint16 public constant MAX_CHALLENGER_SHARE_BPS = 1_000;

    /// @notice The InferenceHub, the only contract allowed to slash.
    address public hub;
    /// @notice Minimum stake of an active executor (wei).
    uint256 public minExecutorStake;
    /// @notice Minimum stake of an active verifier (wei).
    uint256 public minVerifierStake;
    /// @notice Seconds a retired key stays slashable.
    uint64 public challengeWindow;
    /// @notice Seconds between `requestUnbond` and `withdrawStake`.
    uint64 public unbondingDelay;
    /// @notice Challenger share of slashed stake (basis points).
    uint16 public challengerShareBps;
    /// @notice Receives the rest of slashed stake.
    address public treasury;

    mapping(address owner => Operator) private _operators;
    mapping(address signer => SignerInfo) private _signers;
    mapping(address account => uint256) private _claimable;

    // Verifier set. `_verifierSlot[signer] = (configCount << 8) | (index + 1)`: entries of older
    // configurations are stale by construction, so a change never has to clear them.
    address[] private _verifierSet;
    bytes32 private _configDigest;
    uint64 private _configCount;
    uint8 private _f;
    mapping(address signer => uint256) private _verifierSlot;

    modifier onlyHub() {
        if (msg.sender != hub) revert OnlyHub(msg.sender);
        _;
    }

    /// @param admin Owner (governance) of the registry.
    /// @param params Initial parameters.
    constructor(address admin, Params memory params) EIP712("opg", "1") Ownable(admin) {
        _setMinStakes(params.minExecutorStake, params.minVerifierStake);
        _setDelays(params.challengeWindow, params.unbondingDelay);
        _setSlashingParams(params.treasury, params.challengerShareBps);
    }

    // ================================================================== operators

    /// @inheritdoc IOperatorRegistry
    function register(uint8 role, address signer, bytes calldata signerSignature) external payable {
        if (role != ROLE_EXECUTOR && role != ROLE_VERIFIER) revert InvalidRole(role);
        Operator storage op = _operators[msg.sender];
        if (op.status != STATUS_NONE) revert AlreadyRegistered(msg.sender);
        uint256 required = role == ROLE_EXECUTOR ? minExecutorStake : minVerifierStake;
        if (msg.value < required || msg.value == 0) revert InsufficientStake(msg.value, required);
        _bindSigner(msg.sender, signer, role, signerSignature);
        op.signer = signer;
        op.role = role;
        op.status = STATUS_ACTIVE;
        op.unbondAt = 0;
        op.stake = msg.value;
        emit OperatorRegistered(msg.sender, signer, role, msg.value);
    }

    /// @inheritdoc IOperatorRegistry
    function addStake() external payable {
        Operator storage op = _operators[msg.sender];
        if (op.status != STATUS_ACTIVE) revert NotActive(msg.sender);
        if (msg.value == 0) revert ZeroAmount();
        uint256 stake = op.stake + msg.value;
        op.stake = stake;
        emit StakeAdded(msg.sender, msg.value, stake);
    }

    /// @inheritdoc IOperatorRegistry
    function rotateSigner(address newSigner, bytes calldata signerSignature) external {
        Operator storage op = _operators[msg.sender];
        if (op.status != STATUS_ACTIVE) revert NotActive(msg.sender);
        address oldSigner = op.signer;
        if (newSigner == oldSigner) revert SameSigner(newSigner);
        _bindSigner(msg.sender, newSigner, op.role, signerSignature);
        _signers[oldSigner].retiredAt = uint64(block.timestamp);
        op.signer = newSigner;
        emit SignerRotated(msg.sender, oldSigner, newSigner);
        if (op.role == ROLE_VERIFIER) _replaceVerifier(oldSigner, newSigner);
    }

    /// @inheritdoc IOperatorRegistry
    function requestUnbond() external {
        Operator storage op = _operators[msg.sender];
        if (op.status != STATUS_ACTIVE) revert NotActive(msg.sender);
        uint64 unbondAt = uint64(block.timestamp) + unbondingDelay;
        op.status = STATUS_UNBONDING;
        op.unbondAt = unbondAt;
        emit UnbondRequested(msg.sender, op.signer, unbondAt);
        if (op.role == ROLE_VERIFIER) _replaceVerifier(op.signer, address(0));
    }

    /// @inheritdoc IOperatorRegistry
    function withdrawStake() external nonReentrant {
        Operator storage op = _operators[msg.sender];
        if (op.status != STATUS_UNBONDING) revert NotUnbonding(msg.sender);
        if (block.timestamp < op.unbondAt) revert UnbondingNotFinished(op.unbondAt);
        uint256 amount = op.stake;
        address signer = op.signer;
        _signers[signer].retiredAt = uint64(block.timestamp);
        delete _operators[msg.sender];
        emit StakeWithdrawn(msg.sender, signer, amount);
        _send(payable(msg.sender), amount);
    }

    /// @inheritdoc IOperatorRegistry
    function claim(address payable to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        amount = _claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        _claimable[msg.sender] = 0;
        emit Claimed(msg.sender, to, amount);
        _send(to, amount);
    }

    // ================================================================== hub

    /// @inheritdoc IOperatorRegistry
    function slash(address signer, address challenger) external onlyHub returns (uint256 amount) {
        SignerInfo storage info = _signers[signer];
        address owner_ = info.owner;
        if (owner_ == address(0)) revert UnknownSigner(signer);
        if (info.burned) revert SignerIsBurned(signer);
        uint64 retiredAt = info.retiredAt;
        if (retiredAt != 0 && block.timestamp > uint256(retiredAt) + challengeWindow) {
            revert SignerNotSlashable(signer);
        }
        Operator storage op = _operators[owner_];
        amount = op.stake;
        if (amount == 0) revert NothingToSlash(signer);

        // Effects: burn the offending key, retire the operator's current key, delete the operator.
        info.burned = true;
        address current = op.signer;
        if (current != signer) _signers[current].retiredAt = uint64(block.timestamp);
        else if (retiredAt == 0) info.retiredAt = uint64(block.timestamp);
        bool wasVerifier = op.role == ROLE_VERIFIER;
        delete _operators[owner_];

        uint256 reward = (amount * challengerShareBps) / BPS;
        uint256 treasuryShare = amount - reward;
        _claimable[challenger] += reward;
        _claimable[treasury] += treasuryShare;
        emit Slashed(owner_, signer, challenger, amount, reward, treasuryShare);
        if (wasVerifier) _replaceVerifier(current, address(0));
    }

    /// @inheritdoc IOperatorRegistry
    function checkQuorum(bytes32 digest, address[] calldata signers) external view {
        uint256 count = _configCount;
        if (count == 0) revert NoVerifierConfig();
        bytes32 current = _configDigest;
        if (digest != current) revert ConfigDigestMismatch(digest, current);
        uint256 required = uint256(_f) + 1;
        uint256 n = signers.length;
        if (n < required) revert InsufficientSignatures(n, required);
        uint256 seen;
        for (uint256 i; i < n; ++i) {
            address s = signers[i];
            uint256 slot = _verifierSlot[s];
            uint256 indexPlusOne = slot & 0xff;
            if (slot >> 8 != count || indexPlusOne == 0) revert SignerNotInConfig(s);
            uint256 bit = 1 << indexPlusOne;
            if (seen & bit != 0) revert DuplicateSigner(s);
            seen |= bit;
        }
    }

    // ================================================================== admin

    /// @inheritdoc IOperatorRegistry
    function setHub(address hub_) external onlyOwner {
        if (hub != address(0)) revert HubAlreadySet(hub);
        if (hub_ == address(0)) revert ZeroAddress();
        hub = hub_;
        emit HubSet(hub_);
    }

    /// @inheritdoc IOperatorRegistry
    function setVerifierConfig(address[] calldata signers, uint8 f) external onlyOwner {
        uint256 n = signers.length;
        if (n == 0 || n > MAX_VERIFIERS || uint256(f) + 1 > n) revert InvalidVerifierConfig(n, f);
        for (uint256 i; i < n; ++i) {
            if (!isActiveVerifier(signers[i])) revert NotAnActiveVerifier(signers[i]);
        }
        _setVerifierConfig(signers, f);
    }

    /// @notice Disabled: the registry always needs an owner to configure the verifier set.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @inheritdoc IOperatorRegistry
    function setMinStakes(uint256 minExecutorStake_, uint256 minVerifierStake_) external onlyOwner {
        _setMinStakes(minExecutorStake_, minVerifierStake_);
        if (_configCount == 0) return;
        address[] memory set = _verifierSet;
        uint256 n = set.length;
        address[] memory kept = new address[](n);
        uint256 k;
        for (uint256 i; i < n; ++i) {
            if (_operators[_signers[set[i]].owner].stake >= minVerifierStake_) kept[k++] = set[i];
        }
        if (k == n) return;
        assembly ("memory-safe") {
            mstore(kept, k)
        }
        // f is kept: with fewer than f + 1 members left, settlement halts (fails closed) until reconfigured.
        _setVerifierConfig(kept, _f);
    }

    /// @inheritdoc IOperatorRegistry
    function setDelays(uint64 challengeWindow_, uint64 unbondingDelay_) external onlyOwner {
        _setDelays(challengeWindow_, unbondingDelay_);
    }

    /// @inheritdoc IOperatorRegistry
    function setSlashingParams(address treasury_, uint16 challengerShareBps_) external onlyOwner {
        _setSlashingParams(treasury_, challengerShareBps_);
    }

    // ================================================================== views

    /// @inheritdoc IOperatorRegistry
    function getOperator(address owner_) external view returns (Operator memory) {
        return _operators[owner_];
    }

    /// @inheritdoc IOperatorRegistry
    function getSignerInfo(address signer) external view returns (SignerInfo memory) {
        return _signers[signer];
    }

    /// @inheritdoc IOperatorRegistry
    function ownerOfSigner(address signer) external view returns (address) {
        return _signers[signer].owner;
    }

    /// @inheritdoc IOperatorRegistry
    function isActiveExecutor(address signer) public view returns (bool) {
        return _isActive(signer, ROLE_EXECUTOR, minExecutorStake);
    }

    /// @inheritdoc IOperatorRegistry
    function isActiveVerifier(address signer) public view returns (bool) {
        return _isActive(signer, ROLE_VERIFIER, minVerifierStake);
    }

    /// @inheritdoc IOperatorRegistry
    function verifierConfig()
        external
        view
        returns (bytes32 digest, uint64 configCount, uint8 f, address[] memory signers)
    {
        return (_configDigest, _configCount, _f, _verifierSet);
    }

    /// @inheritdoc IOperatorRegistry
    function configDigest() external view returns (bytes32) {
        return _configDigest;
    }

    /// @inheritdoc IOperatorRegistry
    function verifierIndex(address signer) external view returns (bool member, uint256 index) {
        uint256 slot = _verifierSlot[signer];
        uint256 count = _configCount;
        if (count == 0 || slot >> 8 != count || slot & 0xff == 0) return (false, 0);
        return (true, (slot & 0xff) - 1);
    }

    /// @inheritdoc IOperatorRegistry
    function computeConfigDigest(uint64 configCount, address[] calldata signers, uint8 f)
        external
        view
        returns (bytes32)
    {
        return OpgHashes.configDigest(block.chainid, address(this), configCount, signers, f);
    }

    /// @inheritdoc IOperatorRegistry
    function signerBindingDigest(address operator, address signer, uint8 role) public view returns (bytes32) {
        return _hashTypedDataV4(OpgHashes.hashSignerBinding(operator, signer, role));
    }

    /// @inheritdoc IOperatorRegistry
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    // ================================================================== internals

    function _isActive(address signer, uint8 role, uint256 minStake) private view returns (bool) {
        address owner_ = _signers[signer].owner;
        if (owner_ == address(0)) return false;
        Operator storage op = _operators[owner_];
        return op.signer == signer && op.role == role && op.status == STATUS_ACTIVE && op.stake >= minStake;
    }

    function _bindSigner(address owner_, address signer, uint8 role, bytes calldata signature) private {
        if (signer == address(0)) revert ZeroAddress();
        SignerInfo storage info = _signers[signer];
        if (info.burned) revert SignerIsBurned(signer);
        address bound = info.owner;
        if (bound != address(0) && bound != owner_) revert SignerAlreadyBound(signer, bound);
        (address recovered, ECDSA.RecoverError err,) =
            ECDSA.tryRecoverCalldata(signerBindingDigest(owner_, signer, role), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert InvalidSignerProof(signer);
        info.owner = owner_;
        info.retiredAt = 0;
    }

    /// Replaces `oldSigner` in the verifier set by `newSigner` (or removes it when `newSigner` is zero);
    /// no-op when `oldSigner` is not a member. f is kept: if fewer than f + 1 members remain, settlement
    /// halts (fails closed) until governance reconfigures.
    function _replaceVerifier(address oldSigner, address newSigner) private {
        uint256 count = _configCount;
        uint256 slot = _verifierSlot[oldSigner];
        if (count == 0 || slot >> 8 != count || slot & 0xff == 0) return;
        uint256 index = (slot & 0xff) - 1;
        address[] memory set = _verifierSet;
        uint256 n = set.length;
        address[] memory next;
        if (newSigner != address(0)) {
            next = set;
            next[index] = newSigner;
        } else {
            next = new address[](n - 1);
            for (uint256 i; i < index; ++i) next[i] = set[i];
            for (uint256 i = index + 1; i < n; ++i) next[i - 1] = set[i];
        }
        _setVerifierConfig(next, _f);
    }

    function _setVerifierConfig(address[] memory signers, uint8 f) private {
        uint64 count = _configCount + 1;
        uint256 prefix = uint256(count) << 8;
        uint256 n = signers.length;
        for (uint256 i; i < n; ++i) {
            address s = signers[i];
            if (_verifierSlot[s] >> 8 == count) revert DuplicateSigner(s);
            _verifierSlot[s] = prefix | (i + 1);
        }
        _configCount = count;
        _f = f;
        _verifierSet = signers;
        bytes32 digest = OpgHashes.configDigest(block.chainid, address(this), count, signers, f);
        _configDigest = digest;
        emit VerifierConfigSet(digest, count, signers, f);
    }

    function _setMinStakes(uint256 minExecutorStake_, uint256 minVerifierStake_) private {
        minExecutorStake = minExecutorStake_;
        minVerifierStake = minVerifierStake_;
        emit MinStakesSet(minExecutorStake_, minVerifierStake_);
    }

    function _setDelays(uint64 challengeWindow_, uint64 unbondingDelay_) private {
        if (unbondingDelay_ <= challengeWindow_) revert InvalidDelays(challengeWindow_, unbondingDelay_);
        challengeWindow = challengeWindow_;
        unbondingDelay = unbondingDelay_;
        emit DelaysSet(challengeWindow_, unbondingDelay_);
    }

    function _setSlashingParams(address treasury_, uint16 challengerShareBps_) private {
        if (treasury_ == address(0)) revert ZeroAddress();
        if (challengerShareBps_ > MAX_CHALLENGER_SHARE_BPS) revert InvalidShare(challengerShareBps_);
        treasury = treasury_;
        challengerShareBps = challengerShareBps_;
        emit SlashingParamsSet(treasury_, challengerShareBps_);
    }

    function _send(address payable to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
