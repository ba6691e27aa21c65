// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IQuorumErrors} from "./IQuorumErrors.sol";

/// @title IOperatorRegistry
/// @notice Staked executors and verifiers, their signing keys, the verifier set and slashing.
interface IOperatorRegistry is IQuorumErrors {
    /// @notice An operator, keyed by its owner address (the account that staked).
    /// @param signer Current signing key (may differ from the owner; bound with a proof of possession).
    /// @param role 1 executor, 2 verifier.
    /// @param status 0 none, 1 active, 2 unbonding.
    /// @param unbondAt When status is unbonding: earliest time the stake can be withdrawn.
    /// @param stake Staked wei.
    struct Operator {
        address signer;
        uint8 role;
        uint8 status;
        uint64 unbondAt;
        uint256 stake;
    }

    /// @notice What the registry knows about a signing key.
    /// @param owner Operator owner the key is (or was) bound to; a key is never bound to another owner.
    /// @param retiredAt When the key stopped being the owner's current key (rotation, withdrawal, slashing); 0 while current.
    /// @param burned True once the key has been slashed; it can never be bound again.
    struct SignerInfo {
        address owner;
        uint64 retiredAt;
        bool burned;
    }

    /// @notice Deployment parameters.
    /// @param minExecutorStake Minimum stake (wei) of an active executor.
    /// @param minVerifierStake Minimum stake (wei) of an active verifier.
    /// @param challengeWindow Seconds during which evidence against a retired key is still accepted.
    /// @param unbondingDelay Seconds between `requestUnbond` and `withdrawStake`; must exceed `challengeWindow`.
    /// @param treasury Receives the non-challenger share of slashed stake.
    /// @param challengerShareBps Share of slashed stake credited to the challenger, in basis points.
    struct Params {
        uint256 minExecutorStake;
        uint256 minVerifierStake;
        uint64 challengeWindow;
        uint64 unbondingDelay;
        address treasury;
        uint16 challengerShareBps;
    }

    // ------------------------------------------------------------------ events

    /// @notice An operator registered.
    event OperatorRegistered(address indexed owner, address indexed signer, uint8 role, uint256 stake);
    /// @notice An operator added stake.
    event StakeAdded(address indexed owner, uint256 amount, uint256 stake);
    /// @notice An operator replaced its signing key.
    event SignerRotated(address indexed owner, address indexed oldSigner, address indexed newSigner);
    /// @notice An operator started unbonding.
    event UnbondRequested(address indexed owner, address indexed signer, uint64 unbondAt);
    /// @notice An operator withdrew its stake and left.
    event StakeWithdrawn(address indexed owner, address indexed signer, uint256 amount);
    /// @notice An operator was slashed for misbehaviour of `signer`.
    event Slashed(
        address indexed owner,
        address indexed signer,
        address indexed challenger,
        uint256 amount,
        uint256 challengerReward,
        uint256 treasuryShare
    );
    /// @notice The verifier set changed.
    event VerifierConfigSet(bytes32 indexed configDigest, uint64 configCount, address[] signers, uint8 f);
    /// @notice The hub (the only slasher) was set.
    event HubSet(address hub);
    /// @notice Minimum stakes changed.
    event MinStakesSet(uint256 minExecutorStake, uint256 minVerifierStake);
    /// @notice Challenge window or unbonding delay changed.
    event DelaysSet(uint64 challengeWindow, uint64 unbondingDelay);
    /// @notice Treasury or challenger share changed.
    event SlashingParamsSet(address treasury, uint16 challengerShareBps);
    /// @notice Slashing proceeds were claimed.
    event Claimed(address indexed account, address indexed to, uint256 amount);

    // ------------------------------------------------------------------ errors

    /// @notice Role is not 1 (executor) or 2 (verifier).
    error InvalidRole(uint8 role);
    /// @notice The caller already has an operator record.
    error AlreadyRegistered(address owner);
    /// @notice The caller's operator is not active.
    error NotActive(address owner);
    /// @notice The caller's operator is not unbonding.
    error NotUnbonding(address owner);
    /// @notice The unbonding delay has not passed.
    error UnbondingNotFinished(uint64 unbondAt);
    /// @notice Stake below the role's minimum.
    error InsufficientStake(uint256 given, uint256 required);
    /// @notice A zero address where one is not allowed.
    error ZeroAddress();
    /// @notice Zero value where a positive amount is required.
    error ZeroAmount();
    /// @notice The key is bound to another owner.
    error SignerAlreadyBound(address signer, address owner);
    /// @notice The key was slashed and can never be bound again.
    error SignerIsBurned(address signer);
    /// @notice The new key equals the current one.
    error SameSigner(address signer);
    /// @notice The proof of possession is not a valid `SignerBinding` signature by the key.
    error InvalidSignerProof(address signer);
    /// @notice Only the hub may slash.
    error OnlyHub(address caller);
    /// @notice The hub can be set only once.
    error HubAlreadySet(address hub);
    /// @notice The key is not known to the registry.
    error UnknownSigner(address signer);
    /// @notice The key was retired longer than the challenge window ago.
    error SignerNotSlashable(address signer);
    /// @notice The key's owner has no stake left.
    error NothingToSlash(address signer);
    /// @notice Nothing to claim.
    error NothingToClaim(address account);
    /// @notice An ETH transfer failed.
    error TransferFailed(address to, uint256 amount);
    /// @notice A verifier configuration is malformed (size, f).
    error InvalidVerifierConfig(uint256 signers, uint8 f);
    /// @notice A configured signer is not an active, sufficiently staked verifier key.
    error NotAnActiveVerifier(address signer);
    /// @notice `unbondingDelay` must exceed `challengeWindow`.
    error InvalidDelays(uint64 challengeWindow, uint64 unbondingDelay);
    /// @notice Challenger share above MAX_CHALLENGER_SHARE_BPS.
    error InvalidShare(uint16 challengerShareBps);
    /// @notice Ownership cannot be renounced.
    error RenounceDisabled();

    // ------------------------------------------------------------------ operators

    /// @notice Registers the caller as an operator with `msg.value` as stake.
    /// @param role 1 executor, 2 verifier.
    /// @param signer Signing key used in EIP-712 messages (may equal the caller).
    /// @param signerSignature 65-byte signature by `signer` over `SignerBinding(operator=msg.sender, signer, role)`
    /// in this registry's EIP-712 domain {name "opg", version "1", chainId, verifyingContract = registry}.
    function register(uint8 role, address signer, bytes calldata signerSignature) external payable;

    /// @notice Adds `msg.value` to the caller's stake (active operators only).
    function addStake() external payable;

    /// @notice Replaces the caller's signing key; the old key stays slashable for `challengeWindow`.
    /// @param newSigner The new key.
    /// @param signerSignature `SignerBinding(msg.sender, newSigner, role)` signed by `newSigner`.
    function rotateSigner(address newSigner, bytes calldata signerSignature) external;

    /// @notice Starts unbonding: the operator stops being active (a verifier leaves the set) and can withdraw
    /// after `unbondingDelay`. Its stake stays slashable until then.
    function requestUnbond() external;

    /// @notice Withdraws the whole stake after the unbonding delay and deletes the operator record.
    function withdrawStake() external;

    /// @notice Withdraws the caller's slashing proceeds (challenger rewards, treasury share).
    /// @param to Recipient.
    /// @return amount Wei sent.
    function claim(address payable to) external returns (uint256 amount);

    // ------------------------------------------------------------------ hub

    /// @notice Slashes the whole stake of the operator that owns `signer`. Only callable by the hub, which
    /// calls it after verifying equivocation evidence.
    /// @param signer Offending signing key.
    /// @param challenger Account credited with the challenger share.
    /// @return amount Wei slashed.
    function slash(address signer, address challenger) external returns (uint256 amount);

    /// @notice Reverts unless `signers` are at least f + 1 distinct members of the current verifier set
    /// identified by `configDigest`.
    /// @param digest The config digest the signatures were made over.
    /// @param signers Recovered signer addresses.
    function checkQuorum(bytes32 digest, address[] calldata signers) external view;

    // ------------------------------------------------------------------ admin

    /// @notice Sets the hub once.
    function setHub(address hub) external;

    /// @notice Replaces the verifier set; every signer must be the key of an active verifier with enough stake.
    /// @param signers Ordered signer addresses (1..64).
    /// @param f Quorum is f + 1 signatures; f + 1 <= signers.length.
    function setVerifierConfig(address[] calldata signers, uint8 f) external;

    /// @notice Sets the minimum stakes. Verifier set members whose stake is now below the minimum leave the set
    /// (a new config digest), so they never count towards a quorum.
    function setMinStakes(uint256 minExecutorStake, uint256 minVerifierStake) external;

    /// @notice Sets the challenge window and the unbonding delay (`unbondingDelay > challengeWindow`).
    function setDelays(uint64 challengeWindow, uint64 unbondingDelay) external;

    /// @notice Sets the treasury and the challenger's share of slashed stake (at most MAX_CHALLENGER_SHARE_BPS).
    function setSlashingParams(address treasury, uint16 challengerShareBps) external;

    // ------------------------------------------------------------------ views

    /// @notice Receives the slashed stake beyond the challenger's share, and forfeited fees.
    function treasury() external view returns (address);

    /// @notice The operator record of `owner`.
    function getOperator(address owner) external view returns (Operator memory);

    /// @notice What the registry knows about `signer`.
    function getSignerInfo(address signer) external view returns (SignerInfo memory);

    /// @notice Owner `signer` is (or was) bound to; zero if never bound.
    function ownerOfSigner(address signer) external view returns (address);

    /// @notice Whether `signer` is the current key of an active executor with at least the minimum stake.
    function isActiveExecutor(address signer) external view returns (bool);

    /// @notice Whether `signer` is the current key of an active verifier with at least the minimum stake.
    function isActiveVerifier(address signer) external view returns (bool);

    /// @notice The current verifier set.
    function verifierConfig()
        external
        view
        returns (bytes32 digest, uint64 configCount, uint8 f, address[] memory signers);

    /// @notice The current config digest (zero before the first configuration).
    function configDigest() external view returns (bytes32);

    /// @notice Index of `signer` in the current verifier set.
    function verifierIndex(address signer) external view returns (bool member, uint256 index);

    /// @notice The config digest this registry computes for a given set on the current chain.
    function computeConfigDigest(uint64 configCount, address[] calldata signers, uint8 f)
        external
        view
        returns (bytes32);

    /// @notice EIP-712 digest a key signs to prove possession (`SignerBinding`).
    function signerBindingDigest(address operator, address signer, uint8 role) external view returns (bytes32);

    /// @notice Slashing proceeds claimable by `account`.
    function claimable(address account) external view returns (uint256);
}
